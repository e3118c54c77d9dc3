/**
 * The durable webhook queue on Redis Cluster: every stream in the `{webhooks}` slot, so one XREADGROUP reads
 * the streams of every app; acknowledged entries are deleted; a silent consumer's entries are taken over.
 */
import t from 'tap'
import { Cluster } from 'ioredis'
import { RedisWebhookQueue } from '../../src/webhooks/redis-queue.js'
import type { Delivery, QueuedDelivery } from '../../src/webhooks/types.js'
import { CLUSTER_NODES, clusterPrefix, ensureCluster, testCluster } from '../helpers/redis-cluster.js'

await ensureCluster()

const silent = { warn () {}, error () {}, info () {}, debug () {}, trace () {}, fatal () {}, child () { return silent }, level: 'silent', silent () {} }

function queue (t: { teardown (fn: () => unknown): void }, prefix: string, consumer: string, claimIdleMs = 60_000): RedisWebhookQueue {
  const q = new RedisWebhookQueue({
    redis: new Cluster(CLUSTER_NODES, { scaleReads: 'master' }),
    keyPrefix: prefix,
    cluster: true,
    appIds: ['a', 'b', 'c'],
    limitPerApp: 100,
    claimIdleMs,
    log: silent as never,
    consumer
  })
  t.teardown(() => q.close())
  return q
}

const delivery = (appId: string, n: number): Delivery =>
  ({ appId, cause: 'other', url: 'http://127.0.0.1:1/hook', body: `{"time_ms":1,"events":[${n}]}`, events: 1, createdAt: 1000 + n })

async function taken (q: RedisWebhookQueue): Promise<() => Promise<QueuedDelivery>> {
  const got: QueuedDelivery[] = []
  let wake: (() => void) | undefined
  await q.start((d) => { got.push(d); wake?.() }, () => 100)
  return async () => {
    while (got.length === 0) await new Promise<void>((resolve) => { wake = resolve })
    return got.shift() as QueuedDelivery
  }
}

t.test('every app\'s streams in one slot: pushed, handed out, acknowledged and deleted', async (t) => {
  const prefix = clusterPrefix(t)
  const cluster = testCluster(t)
  const q = queue(t, prefix, 'one')
  const next = await taken(q)
  for (const [i, app] of ['a', 'b', 'c'].entries()) t.equal(await q.push(delivery(app, i)), 'queued')
  const got = [await next(), await next(), await next()].sort((x, y) => x.createdAt - y.createdAt)
  t.same(got.map((d) => d.appId), ['a', 'b', 'c'])
  const slots = await Promise.all(['a', 'b', 'c'].map(async (app) => await cluster.cluster('KEYSLOT', q.key(app, 'other'))))
  t.equal(new Set(slots).size, 1, 'one slot')
  for (const d of got) await q.ack(d)
  t.same(await Promise.all(['a', 'b', 'c'].map(async (app) => await cluster.xlen(q.key(app, 'other')))), [0, 0, 0])
})

t.test('a silent consumer\'s entries are taken over by another', async (t) => {
  const prefix = clusterPrefix(t)
  const first = queue(t, prefix, 'first', 200)
  const firstNext = await taken(first)
  await first.push(delivery('b', 7))
  const held = await firstNext()
  await first.close() // silent from now on, its entry unacknowledged
  const second = queue(t, prefix, 'second', 200)
  const secondNext = await taken(second)
  const again = await secondNext()
  t.equal(again.id, held.id, 'the same entry, taken over')
  await second.ack(again)
})
