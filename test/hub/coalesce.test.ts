/**
 * A connection's frames of one event-loop turn leave in one write (src/hub/coalesce.ts): the socket is
 * corked on the first frame of the turn and uncorked when the turn ends, so Node hands them to the kernel
 * as one `writev`, in order.
 */
import { Writable } from 'node:stream'
import type { Socket } from 'node:net'
import t from 'tap'
import { corkForTurn } from '../../src/hub/coalesce.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { connect } from '../helpers/ws-client.js'

/** A Writable that records each call that reached its sink, with the chunks of that call. */
function recorder (): { stream: Writable, calls: string[][] } {
  const calls: string[][] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) { calls.push([chunk.toString()]); callback() },
    writev (chunks, callback) { calls.push(chunks.map((c) => String(c.chunk))); callback() }
  })
  return { stream, calls }
}

t.test('writes of one turn reach the sink in one call, in order, after the turn', async (t) => {
  const { stream, calls } = recorder()
  corkForTurn(stream)
  stream.write('a')
  corkForTurn(stream)
  stream.write('b')
  stream.write('c')
  t.same(calls, [], 'nothing is written while the turn runs')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(calls, [['a', 'b', 'c']], 'one writev with every chunk, in order')
  t.equal(stream.writableCorked, 0, 'uncorked again')

  corkForTurn(stream)
  stream.write('d')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(calls, [['a', 'b', 'c'], ['d']], 'the next turn is corked afresh')
})

t.test('a socket corked by someone else is left to them', async (t) => {
  const { stream, calls } = recorder()
  stream.cork()
  corkForTurn(stream)
  stream.write('x')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(calls, [], 'still corked: the owner uncorks')
  stream.uncork()
  t.same(calls, [['x']])
})

t.test('ending a corked stream flushes what it holds', async (t) => {
  const { stream, calls } = recorder()
  corkForTurn(stream)
  stream.write('last')
  stream.end()
  await new Promise((resolve) => setImmediate(resolve))
  t.same(calls.flat(), ['last'])
})

t.test('events published in one turn reach a subscriber in one socket write, in order', async (t) => {
  const server = await startServer(t)
  const sockets: Socket[] = []
  server.app.server.on('connection', (socket: Socket) => { sockets.push(socket) })
  const { client } = await connect(server.wsUrl())
  t.teardown(() => client.close())
  await client.subscribe('news')
  t.equal(sockets.length, 1)
  const socket = sockets[0] as Socket & { _write: Socket['_write'], _writev: NonNullable<Socket['_writev']> }
  const writes: number[] = []
  const { _write: write, _writev: writev } = socket
  socket._write = function (chunk, encoding, callback) { writes.push(1); write.call(this, chunk, encoding, callback) }
  socket._writev = function (chunks, callback) { writes.push(chunks.length); writev.call(this, chunks, callback) }

  await Promise.all([1, 2, 3].map((i) =>
    server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['news'], name: 'tick', data: String(i) })))
  const received = [await client.next('tick'), await client.next('tick'), await client.next('tick')]
  t.same(received.map((f) => f.data), ['1', '2', '3'], 'in the order they were published')
  t.same(writes, [3], 'three frames, one writev')
})
