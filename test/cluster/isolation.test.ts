/**
 * Clusters sharing one Redis stay apart by the adapter's `keyPrefix`. ioredis's own `keyPrefix` (in
 * `adapter.redis`) is refused with an error naming the adapter's option: it would apply to plain commands but
 * not to Lua scripts or pub/sub, so clusters differing only by it saw each other's events and lost their
 * presence lists.
 */
import Fastify from 'fastify'
import t from 'tap'
import broadcastt from '../../src/index.js'
import { RedisAdapter } from '../../src/adapters/redis.js'
import { startCluster } from '../helpers/cluster.js'
import { REDIS_URL } from '../helpers/redis.js'
import { TEST_APP } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { joined, presenceAuth } from '../channels/helpers.js'
import { delivered, pusherFor, signed } from '../http/helpers.js'

t.test('ioredis\'s keyPrefix is refused, naming the adapter\'s keyPrefix', async (t) => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await t.rejects(async () => {
    await app.register(broadcastt, { apps: [TEST_APP], adapter: { type: 'redis', url: REDIS_URL, redis: { keyPrefix: 'mine:' } } })
  }, {
    code: 'FST_BROADCASTT_INVALID_OPTIONS',
    message: /^options\.adapter\.redis\.keyPrefix: .*set the adapter's own keyPrefix instead$/
  })
  t.throws(() => new RedisAdapter({ url: REDIS_URL, redis: { keyPrefix: 'mine:' } }),
    { code: 'FST_BROADCASTT_INVALID_OPTIONS', message: /^redis\.keyPrefix: / })
})

t.test('two clusters with the same app on one Redis, apart by the adapter\'s keyPrefix', async (t) => {
  const [one] = await startCluster(t, 1) // each startCluster has a key prefix of its own
  const [two] = await startCluster(t, 1)
  if (one === undefined || two === undefined) throw new Error('no nodes')
  const a = await open(t, one.wsUrl())
  const b = await open(t, two.wsUrl())
  for (const client of [a, b]) {
    await joined(client, 'news')
    await joined(client, 'presence-room', presenceAuth(client, 'presence-room', client === a ? 'ann' : 'bob'))
  }
  await pusherFor(one).trigger('news', 'only-one', { n: 1 })
  t.same((await a.next('only-one')).json, { n: 1 })
  t.same((await delivered(b)).filter((f) => f.event === 'only-one'), [], 'the other cluster did not get it')
  const users = async (server: typeof one) =>
    ((await signed(server, 'GET', '/channels/presence-room/users')).body as { users: Array<{ id: string }> }).users
  t.same(await users(one), [{ id: 'ann' }], 'each cluster lists its own members')
  t.same(await users(two), [{ id: 'bob' }])
})
