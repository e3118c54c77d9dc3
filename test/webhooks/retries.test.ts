/**
 * Delivery under failure: a receiver that fails N times then succeeds; one that never answers (timeout);
 * giving up after the horizon; a full queue (overflow, counted and logged); redirects never followed; long
 * answers cut off; a dead receiver holds up neither other apps' webhooks nor WebSocket traffic.
 */
import t from 'tap'
import Fastify from 'fastify'
import type { AddressInfo } from 'node:net'
import broadcastt from '../../src/index.js'
import { backoffDelay } from '../../src/webhooks/dispatcher.js'
import { TEST_APP, startServer } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { joined } from '../channels/helpers.js'
import { receiver } from './receiver.js'
import { collect, nextHubEvent, QUICK, serverWithWebhooks } from './helpers.js'

t.test('a receiver that fails 3 times then succeeds gets the same signed body 4 times', async (t) => {
  const hook = await receiver(t)
  hook.answer = (n) => [500, 404, 503][n] ?? 200
  const server = await serverWithWebhooks(t, [{ url: hook.url, eventTypes: ['channel_occupied'] }])
  const retried = collect(server.app, 'webhook_retried')
  const delivered = nextHubEvent(server.app, 'webhook_delivered')
  await joined(await open(t, server.wsUrl()), 'news')
  t.match(await delivered, { appId: TEST_APP.id, url: hook.url, events: 1, attempts: 4 })
  t.same(retried.map((r) => [r.attempt, r.reason]), [[1, 'HTTP 500'], [2, 'HTTP 404'], [3, 'HTTP 503']])
  t.equal(hook.requests.length, 4)
  t.equal(new Set(hook.requests.map((r) => r.rawBody)).size, 1, 'every attempt sends the same body')
  t.equal(new Set(hook.requests.map((r) => r.headers['x-pusher-signature'])).size, 1)
})

t.test('a receiver that never answers: timeout, retried, then given up after the horizon', async (t) => {
  const hook = await receiver(t)
  hook.answer = () => 'hang'
  const server = await serverWithWebhooks(t, [{ url: hook.url, eventTypes: ['channel_occupied'] }],
    { ...QUICK, timeoutMs: 50, retryHorizonMs: 300 })
  const retried = collect(server.app, 'webhook_retried')
  const failed = nextHubEvent(server.app, 'webhook_failed')
  await joined(await open(t, server.wsUrl()), 'news')
  t.match(await failed, { appId: TEST_APP.id, url: hook.url, events: 1, reason: /timed out after 50 ms; gave up after \d+ attempts/ })
  t.ok(retried.length >= 1, 'retried before giving up')
  t.ok(retried.every((r) => r.reason === 'timed out after 50 ms'))
  t.equal(hook.requests.length, retried.length + 1, 'each attempt reached the receiver')
})

t.test('connection refused is retried', async (t) => {
  const hook = await receiver(t)
  const port = hook.port
  await hook.close()
  const server = await serverWithWebhooks(t, [{ url: `http://127.0.0.1:${port}/x`, eventTypes: ['channel_occupied'] }],
    { ...QUICK, retryHorizonMs: 100 })
  const retried = nextHubEvent(server.app, 'webhook_retried')
  const failed = nextHubEvent(server.app, 'webhook_failed')
  await joined(await open(t, server.wsUrl()), 'news')
  t.match(await retried, { attempt: 1, reason: /ECONNREFUSED/ })
  t.match(await failed, { reason: /ECONNREFUSED/ })
})

t.test('redirects are not followed: a 3xx is a failed attempt', async (t) => {
  const target = await receiver(t)
  const hook = await receiver(t)
  hook.answer = () => (res) => { res.writeHead(307, { location: target.url }).end() }
  const server = await serverWithWebhooks(t, [{ url: hook.url, eventTypes: ['channel_occupied'] }], { ...QUICK, retryHorizonMs: 0 })
  const failed = nextHubEvent(server.app, 'webhook_failed')
  await joined(await open(t, server.wsUrl()), 'news')
  t.match(await failed, { reason: /^HTTP 307/ })
  t.equal(target.requests.length, 0, 'the redirect target was never called')
})

t.test('a long answer is read up to responseBytes, then cut off; the delivery still counts', async (t) => {
  const hook = await receiver(t)
  let written = 0
  hook.answer = () => (res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    const chunk = Buffer.alloc(64 * 1024, 'x')
    const pump = (): void => {
      // An endless answer: the sender must stop reading, or this never ends.
      let more = true
      while (!res.destroyed && more) {
        more = res.write(chunk)
        written += chunk.length
      }
      if (!res.destroyed) res.once('drain', pump)
    }
    res.on('close', () => { res.removeAllListeners('drain') })
    pump()
  }
  const server = await serverWithWebhooks(t, [{ url: hook.url, eventTypes: ['channel_occupied'] }], { ...QUICK, responseBytes: 100 })
  const delivered = nextHubEvent(server.app, 'webhook_delivered')
  await joined(await open(t, server.wsUrl()), 'news')
  t.match(await delivered, { attempts: 1 })
  t.ok(written > 0, 'the receiver was answering')
})

t.test('overflow: a full queue counts and logs what it cannot keep', async (t) => {
  const hook = await receiver(t)
  hook.answer = () => 'hang'
  const logs: Array<{ msg: string, appId?: string, events?: number }> = []
  const app = Fastify({ logger: { level: 'error', stream: { write: (line: string) => { logs.push(JSON.parse(line)) } } } })
  await app.register(broadcastt, {
    apps: [{ ...TEST_APP, webhooks: [{ url: hook.url, eventTypes: ['channel_occupied'] }] }],
    webhookDelivery: { ...QUICK, batchSize: 1, inFlightPerApp: 1, queueLimitPerApp: 2, timeoutMs: 60_000, closeTimeoutMs: 0 }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const server = { app, wsUrl: () => `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/app/${TEST_APP.key}?protocol=7` }
  const overflow = collect(server.app, 'webhook_overflow')
  const client = await open(t, server.wsUrl())
  const third = nextHubEvent(server.app, 'webhook_overflow', () => overflow.length >= 2)
  for (let i = 0; i < 4; i++) await joined(client, `c-${i}`)
  await third
  t.same(overflow.map((o) => [o.appId, o.events]), [[TEST_APP.id, 1], [TEST_APP.id, 1]], 'two deliveries held, two overflowed')
  t.match(logs.filter((l) => l.msg === 'webhooks not queued: overflow'), [{ appId: TEST_APP.id, cause: 'lifecycle', events: 1 }],
    'and logged at once (the second waits for the interval: test/webhooks/overflow.test.ts)')
  await hook.until(() => hook.requests.length === 1)
  t.equal(hook.requests.length, 1, 'one request in flight at a time')
})

t.test('a dead receiver of one app holds up neither another app\'s webhooks nor WebSocket traffic', async (t) => {
  const dead = await receiver(t)
  dead.answer = () => 'hang'
  const alive = await receiver(t)
  const apps = [
    { ...TEST_APP, webhooks: [{ url: dead.url, eventTypes: ['channel_occupied' as const] }] },
    { id: 'b', key: 'b-key', secret: 'b-secret', webhooks: [{ url: alive.url, eventTypes: ['channel_occupied' as const] }] }
  ]
  const server = await startServer(t, { apps, webhookDelivery: { ...QUICK, batchSize: 1, timeoutMs: 60_000, closeTimeoutMs: 0 } })
  const a = await open(t, server.wsUrl())
  for (let i = 0; i < 10; i++) await joined(a, `a-${i}`)
  await dead.until(() => dead.requests.length === 4)
  const b = await open(t, server.wsUrl('b-key'))
  await joined(b, 'b-news')
  t.same(await alive.eventCount(1), [{ name: 'channel_occupied', channel: 'b-news' }], 'the other app is delivered')
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['a-0'], name: 'still', data: 'works' })
  t.equal((await a.next('still')).data, 'works', 'the stuck app\'s own WebSocket traffic flows')
  t.equal(dead.requests.length, 4, 'never more than inFlightPerApp (4) requests of one app at once')
})

t.test('backoff: doubles per attempt up to the cap, with jitter in its upper half', async (t) => {
  t.same([1, 2, 3, 4, 10].map((n) => backoffDelay(n, 1000, 5000, () => 0)), [500, 1000, 2000, 2500, 2500])
  t.same([1, 2, 3, 4, 10].map((n) => backoffDelay(n, 1000, 5000, () => 0.999999)), [1000, 2000, 4000, 5000, 5000])
})
