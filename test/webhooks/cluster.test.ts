/**
 * Two nodes on one Redis (the Redis adapter): occupancy and member transitions are decided once for the
 * cluster, so each gives exactly one webhook, never one per node; and both nodes share one queue.
 */
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import broadcastt from '../../src/index.js'
import { TEST_APP } from '../helpers/server.js'
import { trackServer } from '../helpers/settle.js'
import { open } from '../helpers/ws-client.js'
import { Redis } from 'ioredis'
import { redisAdapter, REDIS_URL, testPrefix } from '../helpers/redis.js'
import { joined, presenceAuth } from '../channels/helpers.js'
import { receiver } from './receiver.js'
import { QUICK } from './helpers.js'

async function node (t: { teardown (fn: () => unknown): void }, prefix: string, url: string): Promise<{ app: FastifyInstance, ws: string }> {
  const adapter = redisAdapter(prefix)
  const app = Fastify({ logger: false })
  await app.register(broadcastt, {
    adapter,
    apps: [{ ...TEST_APP, webhooks: [{ url, eventTypes: ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed'] }] }],
    webhookDelivery: QUICK
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => {
    await app.close()
    await adapter.close()
  })
  trackServer(t, app) // a node of a cluster: TestClient.settle() waits for every node
  return { app, ws: `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/app/${TEST_APP.key}?protocol=7` }
}

t.test('one webhook per cluster transition, whichever node sees it', async (t) => {
  const prefix = testPrefix(t)
  const hook = await receiver(t)
  const one = await node(t, prefix, hook.url)
  const two = await node(t, prefix, hook.url)
  const a = await open(t, one.ws)
  const b = await open(t, two.ws)
  await joined(a, 'presence-room', presenceAuth(a, 'presence-room', 'u1'))
  await hook.eventCount(2)
  await joined(b, 'presence-room', presenceAuth(b, 'presence-room', 'u1'))
  await a.close()
  await b.close()
  await hook.eventCount(4)
  // A marker proves nothing else was on its way from either node.
  const c = await open(t, one.ws)
  await joined(c, 'marker')
  await hook.until(() => hook.events.some((e) => e.channel === 'marker'))
  const room = hook.events.filter((e) => e.channel === 'presence-room').map((e) => e.name)
  t.same(room.sort(), ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed'],
    'each transition once, though two nodes had a subscriber and the same user')
  t.equal(hook.events.length, 5)
})

t.test('a queued entry naming a URL that is not configured is never called, only given up', async (t) => {
  const prefix = testPrefix(t)
  const configured = await receiver(t)
  const foreign = await receiver(t)
  const redis = new Redis(REDIS_URL)
  t.teardown(() => redis.quit())
  const stream = `${prefix}webhooks:${TEST_APP.id}:lifecycle`
  // As if written by a node with another configuration, or by anyone with access to Redis.
  await redis.xadd(stream, '*', 'url', foreign.url, 'body', '{"time_ms":1,"events":[]}', 'events', '0', 'created', String(Date.now()))
  const one = await node(t, prefix, configured.url)
  await joined(await open(t, one.ws), 'marker')
  await configured.until(() => configured.events.some((e) => e.channel === 'marker'))
  await one.app.close()
  t.equal(foreign.requests.length, 0, 'the URL from Redis was not called')
  t.equal(await redis.xlen(stream), 0, 'the entry was given up and removed')
})
