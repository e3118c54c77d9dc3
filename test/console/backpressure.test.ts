/**
 * A slow console tab never slows delivery: its queue is bounded, what does not fit is dropped and counted,
 * and the tab is told how many entries it lost. Every event is accounted for: shown, or counted as dropped.
 */
import t from 'tap'
import { Writable } from 'node:stream'
import type { ServerResponse } from 'node:http'
import { SseClient, sseMessage } from '../../src/console/stream.js'
import { open } from '../helpers/ws-client.js'
import { TEST_APP } from '../helpers/server.js'
import { openStream, startConsole } from './helpers.js'

t.test('a tab whose socket is full keeps a bounded queue, then says how many entries it dropped', async (t) => {
  const written: string[] = []
  let release: (() => void) | undefined
  const socket = new Writable({
    highWaterMark: 1,
    write (chunk: Buffer, _encoding, callback) {
      written.push(chunk.toString())
      release = callback // held: the socket is full until the test releases it
    }
  })
  const tab = new SseClient(socket as unknown as ServerResponse, 'app', 100)
  const message = sseMessage('entry', '{"n":"0123456789"}') // 40 characters
  tab.push(message)
  tab.flush()
  t.equal(written.length, 1, 'written at once')
  for (let i = 0; i < 5; i++) tab.push(message)
  tab.flush()
  t.equal(written.length, 1, 'nothing more while the socket is full')
  release?.()
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(written.length, 2, 'the queue is written on drain')
  t.equal(written[1], message + message + sseMessage('dropped', '{"count":3}'), 'two fitted in 100 characters, three were dropped')
  tab.flush()
  t.equal(written.length, 2, 'an empty queue writes nothing')
  let ends = 0
  socket.on('finish', () => { ends++ })
  tab.end()
  tab.end()
  release?.()
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(ends, 1, 'ended once')
  tab.push(message)
  tab.flush()
  t.equal(written.length, 2, 'nothing after the end')
})

t.test('a tab that stops reading during a burst: every event reaches the subscriber, the tab loses some and is told', async (t) => {
  const server = await startConsole(t)
  const client = await open(t, server.wsUrl())
  await client.subscribe('busy')
  const tab = await openStream(t, server, TEST_APP.id)
  tab.response.pause()
  const data = JSON.stringify({ pad: 'x'.repeat(10_000) })
  const EVENTS = 1500
  const BATCH = 50
  let received = 0
  for (let i = 0; i < EVENTS; i += BATCH) {
    for (let j = i; j < i + BATCH; j++) await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['busy'], name: `e${j}`, data })
    for (let j = i; j < i + BATCH; j++) {
      await client.next(`e${j}`)
      received++
    }
  }
  t.equal(received, EVENTS, 'the subscriber got every event while the tab was not reading')
  tab.response.resume()
  const dropped = await tab.next((m) => m.event === 'dropped', 20_000)
  let lost = (dropped.data as { count: number }).count
  t.ok(lost > 0, `the tab was told it lost ${lost} entries`)
  // Every event is either in the tab's log or counted as dropped.
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['busy'], name: 'last', data: '{}' })
  await tab.entry('event_triggered', { event: 'last' }, 20_000)
  lost += tab.messages.filter((m) => m.event === 'dropped').reduce((sum, m) => sum + (m.data as { count: number }).count, 0)
  const shown = tab.messages.filter((m) => m.event === 'entry' && (m.data as { type: string }).type === 'event_triggered').length
  t.equal(shown + lost, EVENTS, `${shown} shown + ${lost} dropped`)
})
