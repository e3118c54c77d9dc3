/** A node started while Redis is unreachable serves local clients and joins the cluster once Redis is up. */
import { once } from 'node:events'
import t from 'tap'
import { RedisAdapter } from '../../src/adapters/redis.js'
import { OwnRedis } from '../helpers/redis-server.js'
import { RecordingNode } from './adapter-suite.js'

t.test('starting before Redis: local delivery at once, ready when Redis comes', async (t) => {
  const redis = await OwnRedis.start(t)
  await redis.stop()
  const errors: unknown[] = []
  const adapter = new RedisAdapter({ url: redis.url, keyPrefix: 'start:', logger: { warn () {}, error (obj) { errors.push(obj) } } })
  const node = new RecordingNode()
  await adapter.attach(node)
  t.teardown(() => adapter.close())
  t.equal(adapter.ready(), false)
  t.equal(errors.length, 1, 'the connection error is logged once')
  t.equal(await adapter.subscribe('a', 'news'), false, 'no cluster decision without Redis')
  await adapter.publish({ type: 'event', appId: 'a', channel: 'news', name: 'e', data: '{}' })
  t.same((await node.receivedCount(1)).map((m) => m.type), ['event'], 'delivered locally')
  const ready = once(adapter.status, 'ready')
  await redis.start()
  await ready
  t.equal(adapter.ready(), true)
  t.same(node.decisions, [{ occupied: [{ appId: 'a', channel: 'news' }], vacated: [], added: [], removed: [], online: [], offline: [] }],
    'writing back its channel decided occupied')
  t.same(await adapter.channel('a', 'news'), { subscriptionCount: 0 }, 'the local count (0 in this recording node)')
})
