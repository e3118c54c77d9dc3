/**
 * Failure paths of the Redis Streams webhook queue, against a redis-server of the test's own that can be
 * stopped and restarted: enqueueing while Redis is down, the read loop's error and retry (also after Redis
 * came back empty), malformed stream entries and an acknowledgement that fails (a delivery handed out twice: duplicate-take.test.ts).
 */
import t from 'tap'
import { Redis } from 'ioredis'
import { RedisWebhookQueue } from '../../src/webhooks/redis-queue.js'
import { RedisAdapter } from '../../src/adapters/redis.js'
import type { WebhookDeliveryOptions, WebhookEventType } from '../../src/options.js'
import type { Delivery, QueuedDelivery } from '../../src/webhooks/types.js'
import { OwnRedis } from '../helpers/redis-server.js'
import { captureLog } from '../helpers/log.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { joined } from '../channels/helpers.js'
import { receiver } from './receiver.js'
import { collect, QUICK } from './helpers.js'

interface Teardown { teardown (fn: () => unknown): void }

/** A logger that keeps what it was given, by level. */
function recordingLog () {
  const lines: Array<{ level: string, msg: string, fields: Record<string, unknown> }> = []
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => { lines.push({ level, msg, fields }) }
  const log = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), trace: at('trace'), fatal: at('fatal'), level: 'trace', silent () {}, child () { return log } }
  return { log, lines }
}

const delivery = (n: number): Delivery =>
  ({ appId: 'a', cause: 'other', url: 'http://127.0.0.1:1/hook', body: `{"time_ms":1,"events":[${n}]}`, events: 1, createdAt: 1000 + n })

function queue (t: Teardown, url: string, log: unknown, consumer = 'one', claimIdleMs = 60_000): RedisWebhookQueue {
  const q = new RedisWebhookQueue({
    redis: new Redis(url, { maxRetriesPerRequest: null }), keyPrefix: 'q:', appIds: ['a'], limitPerApp: 100, claimIdleMs, log: log as never, consumer
  })
  t.teardown(() => q.close())
  return q
}

/** Starts the queue; `next()` resolves with the next delivery it hands out. */
async function taken (q: RedisWebhookQueue): Promise<{ got: QueuedDelivery[], next (): Promise<QueuedDelivery> }> {
  const got: QueuedDelivery[] = []
  let wake: (() => void) | undefined
  await q.start((d) => { got.push(d); wake?.() }, () => 100)
  let read = 0
  return {
    got,
    async next () {
      while (got.length <= read) await new Promise<void>((resolve) => { wake = resolve })
      return got[read++] as QueuedDelivery
    }
  }
}

async function until (check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`never: ${what}`)
}

t.test('Redis down while enqueueing: the push waits and lands once Redis is back; the outage is logged once', async (t) => {
  const redis = await OwnRedis.start(t)
  const { log, lines } = recordingLog()
  const q = queue(t, redis.url, log)
  const out = await taken(q)
  await redis.stop()
  const pushed = q.push(delivery(1))
  await until(() => lines.some((l) => l.level === 'error'), 'the outage is logged')
  await redis.start()
  t.equal(await pushed, 'queued', 'the push completed once Redis was back')
  t.match(await out.next(), { body: '{"time_ms":1,"events":[1]}' }, 'and was handed out')
  t.equal(lines.filter((l) => l.msg.startsWith('webhook queue: Redis connection error')).length, 1, 'one error line per outage')
})

t.test('the read loop retries after an error; after Redis came back empty its groups are created again', async (t) => {
  const redis = await OwnRedis.start(t)
  const { log, lines } = recordingLog()
  const q = queue(t, redis.url, log)
  const out = await taken(q)
  t.equal(await q.push(delivery(1)), 'queued')
  await out.next()
  await redis.stop()
  await redis.start()
  t.equal(await q.push(delivery(2)), 'queued')
  t.match(await out.next(), { body: '{"time_ms":1,"events":[2]}' }, 'a delivery queued after the restart is read')
  t.ok(lines.some((l) => l.msg === 'webhook queue: reading the Redis stream failed; retrying'), 'the failed read was logged and retried')
})

t.test('malformed stream entries are logged, acknowledged and deleted; the next entry is handed out', async (t) => {
  const redis = await OwnRedis.start(t)
  const { log, lines } = recordingLog()
  const admin = new Redis(redis.url)
  t.teardown(() => admin.quit())
  const q = queue(t, redis.url, log)
  const out = await taken(q)
  await admin.xadd('q:webhooks:a:other', '*', 'url', 'http://127.0.0.1:1/hook', 'events', 'x', 'created', '1')
  await admin.xadd('q:webhooks:a:other', '*', 'body', '{}')
  t.equal(await q.push(delivery(3)), 'queued')
  t.match(await out.next(), { body: '{"time_ms":1,"events":[3]}' })
  t.equal(out.got.length, 1, 'only the well-formed entry was handed out')
  t.equal(lines.filter((l) => l.msg === 'webhook queue: dropping a malformed stream entry').length, 2)
  await q.ack(out.got[0] as QueuedDelivery)
  t.equal(await admin.xlen('q:webhooks:a:other'), 0, 'nothing is left in the stream')
})

async function webhookNode (t: Teardown, url: string, hookUrl: string, extra: Partial<WebhookDeliveryOptions> = {},
  eventTypes: WebhookEventType[] = ['channel_occupied'], retries?: number) {
  const adapter = new RedisAdapter({ url, keyPrefix: 'n:', ...(retries === undefined ? {} : { redis: { maxRetriesPerRequest: retries } }) })
  const log = captureLog()
  const server = await startServer(t, {
    adapter, apps: [{ ...TEST_APP, webhooks: [{ url: hookUrl, eventTypes }] }], webhookDelivery: { ...QUICK, ...extra }
  }, undefined, log.stream)
  t.teardown(() => adapter.close())
  return { server, log }
}

t.test('an acknowledgement that fails is logged; the delivery is still reported delivered, once', async (t) => {
  const redis = await OwnRedis.start(t)
  const hook = await receiver(t)
  let release: () => void = () => {}
  const released = new Promise<void>((resolve) => { release = resolve })
  hook.answer = () => (res) => { void released.then(() => res.writeHead(200).end()) }
  // One retry per command: the acknowledgement fails at once instead of after ioredis's 20 reconnections.
  const { server, log } = await webhookNode(t, redis.url, hook.url, {}, ['channel_occupied'], 1)
  const delivered = collect(server.app, 'webhook_delivered')
  await joined(await open(t, server.wsUrl()), 'news')
  await hook.eventCount(1)
  await redis.stop()
  release()
  await until(() => delivered.length > 0, 'the delivery is reported')
  t.equal(delivered.length, 1)
  t.match(log.lines.find((l) => String(l.msg).startsWith('webhook queue: acknowledging a delivery failed')), { level: 40 })
})

t.test('two live nodes and a receiver slower than claimIdleMs: each webhook is sent once', async (t) => {
  const redis = await OwnRedis.start(t)
  const hook = await receiver(t)
  hook.answer = () => (res) => { setTimeout(() => { res.writeHead(200).end() }, 900) }
  const one = await webhookNode(t, redis.url, hook.url, { claimIdleMs: 200, inFlightPerApp: 2, timeoutMs: 5000 })
  const two = await webhookNode(t, redis.url, hook.url, { claimIdleMs: 200, inFlightPerApp: 2, timeoutMs: 5000 })
  const delivered = [collect(one.server.app, 'webhook_delivered'), collect(two.server.app, 'webhook_delivered')]
  const client = await open(t, one.server.wsUrl())
  const channels = ['c-0', 'c-1', 'c-2', 'c-3']
  for (const channel of channels) await joined(client, channel)
  await until(() => delivered.flat().reduce((n, d) => n + d.events, 0) >= channels.length, 'every event is delivered')
  const admin = new Redis(redis.url)
  t.teardown(() => admin.quit())
  await until(async () => await admin.xlen('n:webhooks:test-id:lifecycle') === 0, 'the stream is empty')
  // Barrier: everything was acknowledged; a take-over would have sent its copy before the node acknowledged.
  t.same(hook.events.map((e) => e.channel).sort(), channels, 'each channel_occupied arrived once')
})

t.test('subscription_count in cluster mode: the cluster-wide count, from whichever node saw the change', async (t) => {
  const redis = await OwnRedis.start(t)
  const hook = await receiver(t)
  const one = await webhookNode(t, redis.url, hook.url, { inFlightPerApp: 1 }, ['subscription_count'])
  const two = await webhookNode(t, redis.url, hook.url, { inFlightPerApp: 1 }, ['subscription_count'])
  const a = await open(t, one.server.wsUrl())
  await joined(a, 'room')
  await hook.eventCount(1)
  const b = await open(t, two.server.wsUrl())
  await joined(b, 'room')
  await hook.eventCount(2)
  t.same(hook.events, [
    { name: 'subscription_count', channel: 'room', subscription_count: 1 },
    { name: 'subscription_count', channel: 'room', subscription_count: 2 }
  ], 'the second subscriber, on the other node, is counted with the first')
})
