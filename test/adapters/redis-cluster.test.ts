/**
 * The adapter conformance suite on Redis Cluster (3 primaries, sharded pub/sub), and the cluster layout: the
 * keys of one app + channel share a slot, a channel's messages travel on the shard owning that slot.
 */
import t from 'tap'
import type { Redis } from 'ioredis'
import { RedisAdapter } from '../../src/adapters/redis.js'
import { RedisKeys } from '../../src/adapters/redis-keys.js'
import { CLUSTER_NODES, clusterAdapter, clusterPrefix, ensureCluster, testCluster } from '../helpers/redis-cluster.js'
import { scanKeys } from '../helpers/redis.js'
import { adapterSuite, RecordingNode } from './adapter-suite.js'

await ensureCluster()

adapterSuite(t, async (t) => {
  const prefix = clusterPrefix(t)
  return { node: async () => clusterAdapter(prefix) }
})

t.test('a key prefix with a brace is refused (it would put every key in one slot)', async (t) => {
  t.throws(() => new RedisAdapter({ nodes: CLUSTER_NODES, keyPrefix: 'x{y}:' }), { code: 'FST_BROADCASTT_INVALID_OPTIONS', message: /keyPrefix/ })
})

t.test('every key of one app + channel lies in one slot, every key of one app in another', async (t) => {
  const prefix = clusterPrefix(t)
  const cluster = testCluster(t)
  const adapter = clusterAdapter(prefix)
  await adapter.attach(new RecordingNode())
  t.teardown(() => adapter.close())
  await adapter.subscribe('a', 'presence-room')
  await adapter.addMember('a', 'presence-room', '1.1', { id: 'u', info: { name: 'U' } }, 100)
  await adapter.publish({ type: 'event', appId: 'a', channel: 'presence-room', name: 'e', data: '{}' }, 60)
  await adapter.addUserConnection('a', 'u', '1.1')
  t.ok(await adapter.addConnection('a', 10))
  t.ok(await adapter.takeTokens('a', 'events', 100, 1))
  const keys = (await Promise.all(cluster.nodes('master').map(async (node) => await scanKeys(node, prefix)))).flat()
  const slotOf = async (key: string): Promise<number> => Number(await cluster.cluster('KEYSLOT', key))
  const layout = new RedisKeys(prefix)
  const channelSlot = await slotOf(layout.channel('a', 'presence-room'))
  const appSlot = await slotOf(layout.app('a'))
  const channelKeys = keys.filter((key) => key.includes('{a:presence-room}'))
  const appKeys = keys.filter((key) => key.includes('{a}'))
  t.ok(channelKeys.length >= 6, `the channel's keys: ${channelKeys.join(', ')}`)
  t.ok(appKeys.length >= 4, `the app's keys: ${appKeys.join(', ')}`)
  t.same(new Set(await Promise.all(channelKeys.map(slotOf))), new Set([channelSlot]))
  t.same(new Set(await Promise.all(appKeys.map(slotOf))), new Set([appSlot]))
  t.same(keys.filter((key) => !key.includes('{')), [], 'no key without a hash tag')
})

t.test('a channel travels on sharded pub/sub, on the shard that owns its slot, only while the node serves it', async (t) => {
  const prefix = clusterPrefix(t)
  const cluster = testCluster(t)
  const adapter = clusterAdapter(prefix)
  await adapter.attach(new RecordingNode())
  t.teardown(() => adapter.close())
  const topic = new RedisKeys(prefix).topic('a', 'news')
  // Each primary counts its own shard's subscribers: summed, and the owner's alone.
  const owner = async (): Promise<Redis> => {
    const slot = Number(await cluster.cluster('KEYSLOT', topic))
    const ranges = await cluster.cluster('SLOTS') as unknown as Array<[number, number, [string, number]]>
    const port = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1]
    const node = cluster.nodes('master').find((n) => n.options.port === port)
    if (node === undefined) throw new Error('no owner')
    return node
  }
  const shardNumsub = async (node: Redis): Promise<number> => Number((await node.call('PUBSUB', 'SHARDNUMSUB', topic) as [string, number])[1])
  const numsub = async (): Promise<number> => {
    const counts = await Promise.all(cluster.nodes('master').map(shardNumsub))
    return counts.reduce((a, b) => a + b, 0)
  }
  t.equal(await numsub(), 0)
  await adapter.subscribe('a', 'news')
  t.equal(await numsub(), 1, 'one subscription in the cluster')
  t.equal(await shardNumsub(await owner()), 1, 'on the shard that owns the channel\'s slot')
  const classic = await Promise.all(cluster.nodes('master').map(async (node) => await node.pubsub('CHANNELS', `${prefix}*`) as string[]))
  t.same(classic.flat(), [], 'no classic pub/sub channel (which Redis Cluster would broadcast to every shard)')
  await adapter.unsubscribe('a', 'news')
  t.equal(await numsub(), 0, 'unsubscribed once the node no longer serves it')
})
