/**
 * The Redis Streams queue against real Redis (each test under its own key prefix): deliveries go through a
 * stream and a consumer group, are acknowledged and deleted when done, are bounded per app, and the entries
 * of a consumer that went silent are taken over by another (XAUTOCLAIM).
 */
import t from 'tap'
import { Redis } from 'ioredis'
import { RedisWebhookQueue } from '../../src/webhooks/redis-queue.js'
import type { Delivery, QueuedDelivery } from '../../src/webhooks/types.js'
import { REDIS_URL, testRedis } from '../helpers/redis.js'

const silent = { warn () {}, error () {}, info () {}, debug () {}, trace () {}, fatal () {}, child () { return silent }, level: 'silent', silent () {} }

interface Teardown { teardown (fn: () => unknown): void }

function queue (t: Teardown, prefix: string, options: { limit?: number, claimIdleMs?: number, consumer?: string } = {}): RedisWebhookQueue {
  const q = new RedisWebhookQueue({
    redis: new Redis(REDIS_URL),
    keyPrefix: prefix,
    appIds: ['a', 'b'],
    limitPerApp: options.limit ?? 100,
    claimIdleMs: options.claimIdleMs ?? 60_000,
    log: silent as never,
    ...(options.consumer === undefined ? {} : { consumer: options.consumer })
  })
  t.teardown(() => q.close())
  return q
}

const delivery = (appId: string, n: number): Delivery =>
  ({ appId, cause: 'other', url: 'http://127.0.0.1:1/hook', body: `{"time_ms":1,"events":[${n}]}`, events: 1, createdAt: 1000 + n })

/** Starts a queue and returns an iterator over the deliveries it hands out. */
async function taken (q: RedisWebhookQueue, capacity = 100): Promise<{ next (): Promise<QueuedDelivery> }> {
  const got: QueuedDelivery[] = []
  let wake: (() => void) | undefined
  await q.start((d) => { got.push(d); wake?.() }, () => capacity)
  return {
    async next () {
      while (got.length === 0) await new Promise<void>((resolve) => { wake = resolve })
      return got.shift() as QueuedDelivery
    }
  }
}

t.test('push, hand out, ack: the stream is left empty', async (t) => {
  const { prefix, redis } = testRedis(t)
  const q = queue(t, prefix)
  const out = await taken(q)
  t.equal(await q.push(delivery('a', 1)), 'queued')
  t.equal(await q.push(delivery('b', 2)), 'queued')
  const got = [await out.next(), await out.next()].sort((x, y) => x.createdAt - y.createdAt)
  t.match(got, [{ appId: 'a', body: '{"time_ms":1,"events":[1]}', events: 1, createdAt: 1001 }, { appId: 'b', createdAt: 1002 }])
  t.equal(await redis.xlen(`${prefix}webhooks:a:other`), 1, 'one stream per app and cause')
  for (const d of got) await q.ack(d)
  t.equal(await redis.xlen(`${prefix}webhooks:a:other`), 0, 'acknowledged entries are deleted')
  t.equal(await redis.xlen(`${prefix}webhooks:b:other`), 0)
})

t.test('bounded per app: a full stream refuses', async (t) => {
  const { prefix } = testRedis(t)
  const q = queue(t, prefix, { limit: 2 })
  await taken(q, 0)
  t.same([await q.push(delivery('a', 1)), await q.push(delivery('a', 2)), await q.push(delivery('a', 3)), await q.push(delivery('b', 4))],
    ['queued', 'queued', 'full', 'queued'])
})

t.test('entries of a silent consumer are taken over by another; nothing is lost', async (t) => {
  const { prefix, redis } = testRedis(t)
  const dead = queue(t, prefix, { claimIdleMs: 200, consumer: 'dead' })
  const out = await taken(dead)
  for (let i = 0; i < 3; i++) await dead.push(delivery('a', i))
  const held = [await out.next(), await out.next(), await out.next()]
  t.same(held.map((d) => d.createdAt).sort(), [1000, 1001, 1002], 'the three pushed deliveries were handed out')
  await dead.close() // stops keeping its entries alive, as a killed node would
  const pending = await redis.xpending(`${prefix}webhooks:a:other`, 'broadcastt-webhooks') as [number, string, string, Array<[string, string]>]
  t.same(pending[3], [['dead', '3']], 'the dead consumer still owns them')

  const heir = queue(t, prefix, { claimIdleMs: 200, consumer: 'heir' })
  const next = await taken(heir)
  const claimed = [await next.next(), await next.next(), await next.next()]
  t.same(claimed.map((d) => d.id).sort(), held.map((d) => d.id).sort(), 'the same entries, to the new consumer')
  t.same(claimed.map((d) => d.body).sort(), held.map((d) => d.body).sort())
  for (const d of claimed) await heir.ack(d)
  t.equal(await redis.xlen(`${prefix}webhooks:a:other`), 0)
})
