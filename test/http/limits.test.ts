/**
 * 429 over the app's backend event rate (a token bucket of `limits.backendEventsPerSecond`, on the plugin's
 * clock) and 503 while the server drains; both deliver nothing.
 */
import Fastify from 'fastify'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import broadcastt from '../../src/index.js'
import { systemClock } from '../../src/hub/heartbeat.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'
import { assertRefused, delivered, signed, subscriber } from './helpers.js'

t.test('backend events over the app rate get 429, all or nothing', async (t) => {
  let now = 1_700_000_000_000
  const clock = { ...systemClock, now: () => now }
  const server = await startServer(t, { apps: [{ ...TEST_APP, limits: { backendEventsPerSecond: 3 } }], clock })
  const sub = await subscriber(t, server, ['r'])
  const event = (name: string) => ({ name, channel: 'r', data: '1' })
  const post = async (route: string, body: unknown) => await signed(server, 'POST', route, { body, timestamp: now / 1000 })
  t.equal((await post('/events', [event('a'), event('b')])).status, 200, '2 of 3')
  const over = await post('/events', [event('c'), event('d')])
  assertRefused(t, over, 429, 'FST_BROADCASTT_RATE_LIMITED', /over its rate of 3 backend events per second/)
  t.equal(over.headers.get('retry-after'), '1')
  t.same((await delivered(sub)).map((f) => f.event), ['a', 'b'], 'the refused batch delivered nothing')
  t.equal((await post('/events', event('e'))).status, 200, 'the third token is left')
  assertRefused(t, await post('/event', { ...event('f'), channels: undefined }), 429, 'FST_BROADCASTT_RATE_LIMITED', /rate/)
  now += 1000
  t.equal((await post('/batch_events', { batch: [event('g'), event('h'), event('i')] })).status, 200,
    'a second later the bucket is full again')
  t.same((await delivered(sub)).map((f) => f.event), ['e', 'g', 'h', 'i'])
})

t.test('0 means unlimited', async (t) => {
  const server = await startServer(t)
  const statuses: number[] = []
  for (let i = 0; i < 30; i++) {
    statuses.push((await signed(server, 'POST', '/events', { body: { name: 'e', channel: 'u', data: String(i) } })).status)
  }
  t.same(statuses, Array.from({ length: 30 }, () => 200), '30 requests in a row, all accepted')
})

t.test('503 while the server drains', async (t) => {
  // Fastify answers 503 itself while closing unless told not to; with `return503OnClosing: false` the
  // request reaches the plugin, which refuses it with its own coded error. A host preClose hook registered
  // after the plugin runs once draining has begun and before the server stops listening: no timing involved.
  const app = Fastify({ logger: false, return503OnClosing: false })
  await app.register(broadcastt, { apps: [TEST_APP] })
  let response: Awaited<ReturnType<typeof signed>> | undefined
  app.addHook('preClose', async () => {
    response = await signed(server, 'POST', '/events', { body: { name: 'e', channel: 'x', data: '1' } })
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const server: TestServer = { app, port: (app.server.address() as AddressInfo).port, wsUrl: () => '' }
  await app.close()
  if (response === undefined) throw new Error('the preClose hook did not run')
  assertRefused(t, response, 503, 'FST_BROADCASTT_SHUTTING_DOWN', /shutting down/)
})
