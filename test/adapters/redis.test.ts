/** The adapter conformance suite against real Redis: nodes of one cluster share a key prefix. */
import t from 'tap'
import { HoldingProxy } from '../helpers/holding-proxy.js'
import { redisAdapter, REDIS_URL, scanKeys, testPrefix, testRedis } from '../helpers/redis.js'
import { adapterSuite, RecordingNode } from './adapter-suite.js'

adapterSuite(t, async (t) => {
  const { prefix, redis } = testRedis(t)
  return {
    node: async () => redisAdapter(prefix),
    // Redis keeps the cache's clock: moving it forward shortens what is left of each cached event's TTL.
    advance: async (ms) => {
      for (const key of await redis.keys(`${prefix}k:*`)) {
        const left = await redis.pttl(key)
        if (left > 0) await redis.pexpire(key, left - ms)
      }
    }
  }
})

t.test('barrier: waits for a message still on its way to the node, however long it takes', async (t) => {
  const prefix = testPrefix(t)
  const proxy = await HoldingProxy.start(t, REDIS_URL)
  const a = redisAdapter(prefix)
  const b = redisAdapter(prefix, { url: proxy.url })
  const nodeA = new RecordingNode()
  const nodeB = new RecordingNode()
  await a.attach(nodeA)
  await b.attach(nodeB)
  t.teardown(async () => { await Promise.all([a.close(), b.close()]) })
  await b.subscribe('a', 'ch')
  proxy.hold()
  await a.publish({ type: 'event', appId: 'a', channel: 'ch', name: 'late', data: '{}' })
  let done = false
  const barrier = b.barrier().finally(() => { done = true })
  await a.barrier() // a's own barrier is not held
  t.notOk(done, 'b\'s barrier waits while its messages are held')
  t.same(nodeB.received, [], 'the event has not arrived')
  proxy.release()
  await barrier
  t.same(nodeB.received.map((m) => m.type === 'event' ? m.name : m.type), ['late'], 'it has once the barrier resolved')
})

t.test('attach() resolves once the node is ready: its state written back and its subscriber listening', async (t) => {
  const prefix = testPrefix(t)
  // The subscription used to be confirmed after attach() resolved, so ready() was briefly false (the
  // cluster queries of a just-started node answered 503); 30 attaches would all but surely catch it.
  for (let i = 0; i < 30; i++) {
    const adapter = redisAdapter(prefix)
    await adapter.attach(new RecordingNode())
    const ready = adapter.ready()
    await adapter.close()
    if (!ready) {
      t.fail(`ready() was false right after attach() (attach ${i + 1})`)
      return
    }
  }
  t.pass('ready() held right after each of 30 attaches')
})

t.test('presence and cache sequence counters do not outlive their channels', async (t) => {
  const { prefix, redis } = testRedis(t)
  const adapter = redisAdapter(prefix)
  await adapter.attach(new RecordingNode())
  t.teardown(() => adapter.close())
  const CHANNELS = 2000
  const channels = Array.from({ length: CHANNELS }, (_, i) => `presence-${i}`)
  for (let i = 0; i < CHANNELS; i += 200) {
    await Promise.all(channels.slice(i, i + 200).map(async (channel) => {
      await adapter.addMember('a', channel, '1.1', { id: 'u', info: null }, 100)
      await adapter.removeMember('a', channel, '1.1')
    }))
  }
  await adapter.publish({ type: 'event', appId: 'a', channel: 'cache-x', name: 'e', data: '{}' }, 1800)
  const keys = await scanKeys(redis, prefix)
  t.same(keys.filter((key) => /:(p|pu|pi):/.test(key)), [], 'no member state is left')
  const counters = keys.filter((key) => key.startsWith(`${prefix}q:`))
  t.equal(counters.length, CHANNELS + 1, 'a counter per channel used in the last minute')
  const ttls = await Promise.all(counters.map(async (key) => await redis.pttl(key)))
  t.ok(ttls.every((ms) => ms > 0 && ms <= 60_000), 'each expires within a minute of its last use')
})

t.test('a counter that expired restarts above every number it gave', async (t) => {
  const { prefix, redis } = testRedis(t)
  const adapter = redisAdapter(prefix)
  await adapter.attach(new RecordingNode())
  t.teardown(() => adapter.close())
  const member = { id: 'u', info: null }
  const joined = await adapter.addMember('a', 'presence-r', '1.1', member, 100)
  const left = await adapter.removeMember('a', 'presence-r', '1.1')
  if (!joined.ok || left === undefined) throw new Error('no join')
  t.ok(left.seq > joined.seq)
  await redis.del(`${prefix}q:{a:presence-r}`) // as if a minute had passed
  const again = await adapter.addMember('a', 'presence-r', '1.1', member, 100)
  if (!again.ok) throw new Error('no join')
  t.ok(again.seq > left.seq, `${again.seq} > ${left.seq}`)
  t.ok(Number.isSafeInteger(again.seq))
  await redis.del(`${prefix}q:{a:presence-r}`)
  const other = await adapter.addMember('a', 'presence-r', '2.1', { id: 'v', info: null }, 100)
  if (!other.ok) throw new Error('no join')
  t.ok(other.seq > again.seq, 'a join that reads the counter restarts it too')
  await adapter.publish({ type: 'event', appId: 'a', channel: 'presence-r', name: 'e', data: '{}' }, 60)
  const cached = await adapter.getCache('a', 'presence-r')
  t.ok(cached !== undefined && cached.event.seq > other.seq && Number.isSafeInteger(cached.event.seq),
    'a cached event carries the number exactly (no exponent in its JSON)')
})
