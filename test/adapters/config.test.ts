/** The `adapter` option: a Redis configuration is validated, created and closed by the plugin. */
import t from 'tap'
import { loadConfig } from '../../src/config/load.js'
import { resolveOptions } from '../../src/options.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { REDIS_URL, testPrefix } from '../helpers/redis.js'
import { CLUSTER_NODES, clusterPrefix, ensureCluster } from '../helpers/redis-cluster.js'
import { open } from '../helpers/ws-client.js'
import { delivered } from '../http/helpers.js'

const apps = [TEST_APP]

t.test('a bad Redis configuration names its path', async (t) => {
  t.throws(() => resolveOptions({ apps, adapter: { type: 'redis', url: 'http://x' } }),
    { code: 'FST_BROADCASTT_INVALID_OPTIONS', message: /^options\.adapter\.url: / })
  t.throws(() => resolveOptions({ apps, adapter: { type: 'redis', bogus: 1 } }), { message: /^options\.adapter/ })
  t.throws(() => resolveOptions({ apps, adapter: { type: 'redis', nodeTtlSeconds: 0 } }), { message: /^options\.adapter\.nodeTtlSeconds: / })
  t.throws(() => resolveOptions({ apps, adapter: { type: 'redis', redis: 'x' } }), { message: /^options\.adapter\.redis: Expected object/ })
  t.throws(() => resolveOptions({ apps, adapter: { type: 'kafka' } }), { message: /^options\.adapter/ })
  const resolved = resolveOptions({ apps, adapter: { type: 'redis', url: 'rediss://h:6380', redis: { tls: { servername: 'h' } } } })
  t.same(resolved.adapter, { type: 'redis', url: 'rediss://h:6380', redis: { tls: { servername: 'h' } } },
    'ioredis options pass through as given')
})

t.test('BROADCASTT_REDIS_URL makes the standalone server a cluster node', async (t) => {
  const env = { BROADCASTT_APP_ID: 'a', BROADCASTT_APP_KEY: 'k', BROADCASTT_APP_SECRET: 's', BROADCASTT_REDIS_URL: 'redis://r:6379' }
  t.same(loadConfig([], env).options.adapter, { type: 'redis', url: 'redis://r:6379' })
  t.equal(loadConfig([], { ...env, BROADCASTT_REDIS_URL: '' }).options.adapter, undefined)
})

t.test('the plugin creates a Redis adapter from the option, uses it and closes it', async (t) => {
  const keyPrefix = testPrefix(t)
  const server = await startServer(t, { adapter: { type: 'redis', url: REDIS_URL, keyPrefix } })
  const client = await open(t, server.wsUrl())
  await client.subscribe('news')
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['news'], name: 'hello', data: {} })
  t.same((await delivered(client)).map((f) => f.event), ['hello'])
  t.same(await server.app.broadcastt.channel(TEST_APP.id, 'news'), { occupied: true, subscriptionCount: 1 })
  await server.app.close() // a leaked Redis connection would keep this test from ending
})

t.test('a Redis Cluster configuration: checked field by field, and from BROADCASTT_REDIS_CLUSTER_NODES', async (t) => {
  const nodes = [{ host: 'r1', port: 7001 }, { host: 'r2', port: 7002 }]
  t.same(resolveOptions({ apps, adapter: { type: 'redis-cluster', nodes, keyPrefix: 'p:' } }).adapter,
    { type: 'redis-cluster', nodes, keyPrefix: 'p:' })
  t.throws(() => resolveOptions({ apps, adapter: { type: 'redis-cluster' } }), { message: /^options\.adapter\.nodes: required/ })
  t.throws(() => resolveOptions({ apps, adapter: { type: 'redis-cluster', nodes: [{ host: 'r1', port: 0 }] } }),
    { message: /^options\.adapter\.nodes\[0\]\.port: / })
  t.throws(() => resolveOptions({ apps, adapter: { type: 'redis-cluster', nodes, url: 'redis://x' } }), { message: /^options\.adapter/ })
  t.throws(() => resolveOptions({ apps, adapter: { type: 'redis-cluster', nodes, keyPrefix: 'a{b}:' } }),
    { message: /^options\.adapter\.keyPrefix: / }, 'a brace in the prefix would put every key in one slot')
  const env = { BROADCASTT_APP_ID: 'a', BROADCASTT_APP_KEY: 'k', BROADCASTT_APP_SECRET: 's' }
  t.same(loadConfig([], { ...env, BROADCASTT_REDIS_CLUSTER_NODES: 'r1:7001, r2:7002' }).options.adapter, { type: 'redis-cluster', nodes })
  t.throws(() => loadConfig([], { ...env, BROADCASTT_REDIS_CLUSTER_NODES: 'r1' }), { message: /BROADCASTT_REDIS_CLUSTER_NODES.*host:port/ })
})

t.test('the plugin creates a Redis Cluster adapter from the option', async (t) => {
  await ensureCluster()
  const server = await startServer(t, { adapter: { type: 'redis-cluster', nodes: CLUSTER_NODES, keyPrefix: clusterPrefix(t) } })
  const client = await open(t, server.wsUrl())
  await client.subscribe('news')
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['news'], name: 'hello', data: {} })
  t.same((await delivered(client)).map((f) => f.event), ['hello'])
  t.same(await server.app.broadcastt.channel(TEST_APP.id, 'news'), { occupied: true, subscriptionCount: 1 })
  await server.app.close()
})
