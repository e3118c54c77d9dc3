/**
 * Redis goes away and comes back (a redis-server of this test's own, restarted empty): nodes keep serving
 * their local clients and report not ready meanwhile, then reconnect, resubscribe, write back what they
 * own, and cross-node delivery resumes. No crash, no unhandled rejection.
 */
import { once } from 'node:events'
import t from 'tap'
import { RedisAdapter } from '../../src/adapters/redis.js'
import { OwnRedis } from '../helpers/redis-server.js'
import { startServer } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { delivered, pusherFor, received, signed, subscriber } from '../http/helpers.js'
import { joined, presenceAuth } from '../channels/helpers.js'

t.test('Redis restarts: local delivery goes on, then the cluster recovers', async (t) => {
  const redis = await OwnRedis.start(t)
  const adapters = [0, 1].map(() => new RedisAdapter({ url: redis.url, keyPrefix: 'restart:' }))
  const [adapterA, adapterB] = adapters
  if (adapterA === undefined || adapterB === undefined) throw new Error('no adapters')
  const a = await startServer(t, { adapter: adapterA })
  const b = await startServer(t, { adapter: adapterB })
  t.teardown(async () => { await Promise.all(adapters.map(async (adapter) => { await adapter.close() })) })
  t.ok(adapterA.ready() && adapterB.ready(), 'both nodes ready')

  const onA = await subscriber(t, a, ['news'])
  const onB = await subscriber(t, b, ['news'])
  const member = await open(t, b.wsUrl())
  await joined(member, 'presence-room', presenceAuth(member, 'presence-room', 'bob'))
  await pusherFor(a).trigger('news', 'before', {})
  t.same((await received(onB, 1)).map((f) => f.event), ['before'])
  t.same((await received(onA, 1)).map((f) => f.event), ['before'])

  const down = [once(adapterA.status, 'down'), once(adapterB.status, 'down')]
  await redis.stop()
  await Promise.all(down)
  t.notOk(adapterA.ready(), 'not ready while Redis is down')
  const during = await pusherFor(a).trigger('news', 'during', { n: 1 })
  t.equal(during.status, 200, 'a trigger is still accepted')
  t.same((await received(onA, 1)).map((f) => f.event), ['during'], 'local subscribers still get events')
  t.same(await delivered(onB), [], 'the other node cannot hear it')
  const local = await open(t, a.wsUrl())
  await joined(local, 'other')
  t.equal((await signed(a, 'GET', '/channels')).status, 503, 'cluster queries answer 503')

  const up = [once(adapterA.status, 'ready'), once(adapterB.status, 'ready')]
  await redis.start()
  await Promise.all(up)
  t.ok(adapterA.ready() && adapterB.ready(), 'ready again')
  await pusherFor(a).trigger('news', 'after', {})
  t.same((await received(onB, 1)).map((f) => f.event), ['after'], 'cross-node delivery resumes (resubscribed)')
  t.same((await received(onA, 1)).map((f) => f.event), ['after'])
  await pusherFor(b).trigger('other', 'too', {})
  t.same((await received(local, 1)).map((f) => f.event), ['too'], 'a channel subscribed while Redis was down works')
  const users = await signed(a, 'GET', '/channels/presence-room/users')
  t.same(users.body, { users: [{ id: 'bob' }] }, 'presence written back by its node')
  const counts = await signed(a, 'GET', '/channels', { query: { info: 'subscription_count' } })
  t.same(counts.body, {
    channels: { news: { subscription_count: 2 }, 'presence-room': { subscription_count: 1 }, other: { subscription_count: 1 } }
  }, 'counts written back')
  await member.close()
  const left = await signed(a, 'GET', '/channels/presence-room/users')
  t.same(left.body, { users: [] }, 'a member who leaves after the recovery is gone cluster-wide')
})
