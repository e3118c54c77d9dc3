/**
 * Cluster failure paths against real Redis. A node cut off from Redis by a TCP proxy while Redis keeps its
 * data: its clients leave meanwhile, and once it is back its write-back removes them cluster-wide, once. The
 * connection quota while Redis is down (each node alone) and after it is back (cluster-wide again). The
 * NOSCRIPT fallback after SCRIPT FLUSH (on a redis-server of the test's own).
 */
import { once } from 'node:events'
import t from 'tap'
import { Redis } from 'ioredis'
import { RedisAdapter } from '../../src/adapters/redis.js'
import { OwnRedis } from '../helpers/redis-server.js'
import { REDIS_URL, testPrefix } from '../helpers/redis.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { TcpProxy } from '../helpers/tcp-proxy.js'
import { connect, open } from '../helpers/ws-client.js'
import { signed } from '../http/helpers.js'
import { joined, presenceAuth } from '../channels/helpers.js'

interface Teardown { teardown (fn: () => unknown): void }

function adapter (t: Teardown, url: string, keyPrefix: string): RedisAdapter {
  const a = new RedisAdapter({ url, keyPrefix })
  t.teardown(() => a.close())
  return a
}

t.test('a node cut off from Redis (which keeps its data): clients that left meanwhile are removed cluster-wide once it is back', async (t) => {
  const keyPrefix = testPrefix(t)
  const { hostname, port } = new URL(REDIS_URL)
  const proxy = await TcpProxy.start(t, hostname, Number(port || 6379))
  const adapterA = adapter(t, proxy.through(REDIS_URL), keyPrefix)
  const adapterB = adapter(t, REDIS_URL, keyPrefix)
  const a = await startServer(t, { adapter: adapterA })
  const b = await startServer(t, { adapter: adapterB })

  const watcher = await open(t, b.wsUrl())
  await joined(watcher, 'presence-room', presenceAuth(watcher, 'presence-room', 'w'))
  const ann = await open(t, a.wsUrl())
  await joined(ann, 'presence-room', presenceAuth(ann, 'presence-room', 'ann'))
  await joined(ann, 'only-on-a')
  t.same((await watcher.next('pusher_internal:member_added')).json, { user_id: 'ann', user_info: null })

  const removed: string[] = []
  const vacated: string[] = []
  for (const node of [a, b]) {
    node.app.broadcastt.on('member_removed', ({ userId }) => { removed.push(userId) })
    node.app.broadcastt.on('channel_vacated', ({ channel }) => { vacated.push(channel) })
  }
  const down = once(adapterA.status, 'down')
  proxy.cut()
  await down
  await ann.close()
  await a.app.broadcastt.settle()
  t.same(removed, [], 'no member_removed while the node cannot reach Redis')
  const during = await signed(b, 'GET', '/channels/presence-room/users')
  t.same((during.body as { users: Array<{ id: string }> }).users.map((u) => u.id).sort(), ['ann', 'w'],
    'Redis still holds the cut-off node\'s member')

  const up = once(adapterA.status, 'ready')
  proxy.restore()
  await up
  t.same((await watcher.next('pusher_internal:member_removed', 10_000)).json, { user_id: 'ann' }, 'the watcher on the other node hears it')
  await watcher.settle()
  t.same(removed, ['ann'], 'member_removed once, cluster-wide')
  t.same(vacated, ['only-on-a'], 'the channel only the cut-off node served is vacated')
  t.same(watcher.frames.filter((f) => f.event.startsWith('pusher_internal:member')), [], 'and nothing more reached the watcher')
  t.same((await signed(b, 'GET', '/channels/presence-room/users')).body, { users: [{ id: 'w' }] })
  t.same((await signed(b, 'GET', '/channels', { query: { info: 'subscription_count' } })).body,
    { channels: { 'presence-room': { subscription_count: 1 } } }, 'counts corrected')
})

t.test('the connection quota while Redis is down: each node alone; cluster-wide again once it is back', async (t) => {
  const redis = await OwnRedis.start(t)
  const keyPrefix = 'quota:'
  const adapterA = adapter(t, redis.url, keyPrefix)
  const adapterB = adapter(t, redis.url, keyPrefix)
  const options = { apps: [{ ...TEST_APP, limits: { maxConnections: 2 } }] }
  const a = await startServer(t, { ...options, adapter: adapterA })
  const b = await startServer(t, { ...options, adapter: adapterB })
  await open(t, a.wsUrl())
  const onB = await open(t, b.wsUrl())
  const refused = await connect(b.wsUrl())
  t.match(refused.first, { event: 'pusher:error', json: { code: 4004 } }, 'a third connection is over the cluster-wide quota')

  const down = [once(adapterA.status, 'down'), once(adapterB.status, 'down')]
  await redis.stop()
  await Promise.all(down)
  const second = await connect(a.wsUrl())
  t.equal(second.first.event, 'pusher:connection_established', 'Redis down: node A admits up to the quota on its own')
  const third = await connect(a.wsUrl())
  t.match(third.first, { event: 'pusher:error', json: { code: 4004 } }, 'and refuses past it')
  t.equal((await third.client.closed).code, 4004)
  await second.client.close()
  const again = await connect(a.wsUrl())
  t.equal(again.first.event, 'pusher:connection_established', 'a place given back while Redis is down is free again')

  const up = [once(adapterA.status, 'ready'), once(adapterB.status, 'ready')]
  await redis.start()
  await Promise.all(up)
  const counts = new Redis(redis.url)
  t.teardown(() => counts.quit())
  const written = await counts.hgetall(`${keyPrefix}cc:{${TEST_APP.id}}`)
  t.same(Object.values(written).map(Number).sort(), [1, 2], 'each node wrote back its own count')
  const over = await connect(b.wsUrl())
  t.match(over.first, { event: 'pusher:error', json: { code: 4004 } }, 'cluster-wide again: 3 connections, none admitted')
  again.client.ws.close()
  await again.client.closed
  await a.app.broadcastt.settle()
  const full = await connect(b.wsUrl())
  t.match(full.first, { event: 'pusher:error', json: { code: 4004 } }, 'back to 2 of 2: still full')
  await onB.close()
  await b.app.broadcastt.settle()
  const freed = await connect(a.wsUrl())
  t.equal(freed.first.event, 'pusher:connection_established', 'a place given back on one node is taken on another')
  freed.client.ws.close()
})

t.test('NOSCRIPT: after SCRIPT FLUSH every script is loaded again and works', async (t) => {
  const redis = await OwnRedis.start(t)
  const adapterA = adapter(t, redis.url, 'noscript:')
  const a = await startServer(t, { adapter: adapterA, apps: [{ ...TEST_APP, limits: { maxConnections: 5 } }] })
  const admin = new Redis(redis.url)
  t.teardown(() => admin.quit())
  const first = await open(t, a.wsUrl())
  await joined(first, 'presence-x', presenceAuth(first, 'presence-x', 'u1'))
  t.equal(await admin.script('FLUSH'), 'OK')
  const second = await open(t, a.wsUrl())
  await joined(second, 'presence-x', presenceAuth(second, 'presence-x', 'u2'))
  t.same((await first.next('pusher_internal:member_added')).json, { user_id: 'u2', user_info: null }, 'a presence join after the flush')
  t.same((await signed(a, 'GET', '/channels/presence-x/users')).body, { users: [{ id: 'u1' }, { id: 'u2' }] })
  t.same(await admin.hvals(`noscript:cc:{${TEST_APP.id}}`), ['2'], 'the connection count script ran too')
})
