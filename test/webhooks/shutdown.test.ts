/**
 * Closing: waiting debounced events are sent at once, a dead receiver cannot hold shutdown beyond
 * `closeTimeoutMs`, and with a Redis-backed queue what was not delivered stays in Redis for the next node.
 */
import t from 'tap'
import Fastify from 'fastify'
import type { AddressInfo } from 'node:net'
import broadcastt from '../../src/index.js'
import { TEST_APP } from '../helpers/server.js'
import { trackServer } from '../helpers/settle.js'
import { open } from '../helpers/ws-client.js'
import { joined } from '../channels/helpers.js'
import { receiver } from './receiver.js'
import { nextHubEvent, QUICK, serverWithWebhooks } from './helpers.js'
import { redisAdapter, testRedis } from '../helpers/redis.js'
import { within } from '../helpers/within.js'

t.test('close sends a waiting channel_vacated at once', async (t) => {
  const hook = await receiver(t)
  const server = await serverWithWebhooks(t, [{ url: hook.url, eventTypes: ['channel_vacated'] }], { batchMs: 50 }, { clock: t.clock })
  const client = await open(t, server.wsUrl())
  await joined(client, 'news')
  const vacated = nextHubEvent(server.app, 'channel_vacated')
  await client.close()
  await vacated
  t.equal(hook.requests.length, 0, 'still waiting for a comeback')
  await server.app.close()
  t.same(hook.events, [{ name: 'channel_vacated', channel: 'news' }], 'sent during close, without the clock moving')
})

t.test('a receiver that never answers does not hold close beyond closeTimeoutMs', async (t) => {
  const hook = await receiver(t)
  hook.answer = () => 'hang'
  const server = await serverWithWebhooks(t, [{ url: hook.url, eventTypes: ['channel_occupied'] }],
    { ...QUICK, timeoutMs: 600_000, closeTimeoutMs: 50 })
  await joined(await open(t, server.wsUrl()), 'news')
  await hook.until(() => hook.requests.length === 1)
  // The request's own timeout is 10 minutes and the default closeTimeoutMs 2 s: a 1.5 s bound tells 50 ms from both.
  const elapsed = await within(1500, server.app.close())
  t.ok(elapsed < 1500, `closed in ${elapsed.toFixed(0)} ms while the request was still open`)
  t.equal(hook.requests.length, 1, 'the request was sent and never answered')
})

async function redisServer (t: { teardown (fn: () => unknown): void }, prefix: string, url: string) {
  const adapter = redisAdapter(prefix)
  const app = Fastify({ logger: false })
  await app.register(broadcastt, {
    adapter,
    apps: [{ ...TEST_APP, webhooks: [{ url, eventTypes: ['channel_occupied'] }] }],
    webhookDelivery: { ...QUICK, retryBaseDelayMs: 20, claimIdleMs: 300, closeTimeoutMs: 100 }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => {
    await app.close()
    await adapter.close()
  })
  trackServer(t, app) // a node of a cluster: TestClient.settle() waits for every node
  return { app, port: (app.server.address() as AddressInfo).port }
}

t.test('Redis-backed: what is still retrying at close stays in Redis; the next node delivers it', async (t) => {
  const { prefix, redis } = testRedis(t)
  const hook = await receiver(t)
  let down = true
  hook.answer = () => down ? 503 : 200
  const first = await redisServer(t, prefix, hook.url)
  const retried = nextHubEvent(first.app, 'webhook_retried')
  await joined(await open(t, `ws://127.0.0.1:${first.port}/app/${TEST_APP.key}?protocol=7`), 'kept')
  await retried
  await first.app.close()
  t.equal(await redis.xlen(`${prefix}webhooks:${TEST_APP.id}:lifecycle`), 1, 'the undelivered webhook is still in its stream')

  down = false
  const attempts = hook.requests.length
  const second = await redisServer(t, prefix, hook.url)
  // The second node may take the entry over while it starts: watch the receiver, not the node's events.
  await hook.until(() => hook.requests.length > attempts)
  t.same(hook.requests.at(-1)?.body.events, [{ name: 'channel_occupied', channel: 'kept' }], 'the next node delivered it')
  await second.app.close()
  t.equal(await redis.xlen(`${prefix}webhooks:${TEST_APP.id}:lifecycle`), 0, 'and it is gone from Redis once delivered')
})
