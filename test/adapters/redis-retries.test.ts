/**
 * The handlers that keep a node out of step with the cluster until Redis takes its work again: writing back
 * its state (scripts, heartbeat, owned records) and subscribing its topics. Each is made to fail on a live
 * connection with a Redis ACL that denies one command class or channel, then allowed again: the failure is
 * logged once however many heartbeats retry it, and a heartbeat retries without a new connection.
 */
import { once } from 'node:events'
import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { RedisAdapter } from '../../src/adapters/redis.js'
import { OwnRedis } from '../helpers/redis-server.js'
import { RecordingNode } from './adapter-suite.js'

const HEARTBEATS = 4

async function heartbeats (n: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, n * 250))
}

/** The connections of ACL user `node` (the adapter's two). */
async function nodeConnections (admin: Redis): Promise<number> {
  return (await admin.call('CLIENT', 'LIST') as string).split('\n').filter((line) => line.includes(' user=node ')).length
}

async function limitedNode (t: Test, denied: string) {
  const redis = await OwnRedis.start(t)
  const admin = new Redis(redis.url)
  t.teardown(() => admin.quit())
  await admin.call('ACL', 'SETUSER', 'node', 'on', 'nopass', '~*', '&*', '+@all', ...denied.split(' '))
  const warnings: Array<{ obj: unknown, msg: string }> = []
  const adapter = new RedisAdapter({
    url: `redis://node:any@127.0.0.1:${redis.port}`,
    keyPrefix: 'retries:',
    nodeTtlSeconds: 1, // a heartbeat every 250 ms
    logger: { warn (obj, msg) { warnings.push({ obj, msg }) }, error () {} }
  })
  t.teardown(() => adapter.close())
  const node = new RecordingNode()
  await adapter.attach(node)
  return { admin, adapter, node, warnings, port: redis.port }
}

t.test('a write-back that fails is logged, and retried on the same connection once Redis takes it', async (t) => {
  const { admin, adapter, node, warnings } = await limitedNode(t, '-script')
  t.equal(adapter.ready(), false, 'not ready: its scripts could not be loaded')
  await heartbeats(HEARTBEATS)
  t.match(warnings, [{ msg: 'broadcastt: restoring this node\'s state in Redis failed; retrying', obj: { err: { message: /NOPERM/ } } }])
  t.equal(warnings.length, 1, `logged once in ${HEARTBEATS} heartbeats`)
  t.equal(await adapter.subscribe('a', 'news'), false, 'a subscription meanwhile decides nothing in the cluster')

  const ready = once(adapter.status, 'ready')
  await admin.call('ACL', 'SETUSER', 'node', '+script')
  await ready
  t.equal(adapter.ready(), true)
  t.same(node.decisions, [{ occupied: [{ appId: 'a', channel: 'news' }], vacated: [], added: [], removed: [], online: [], offline: [] }],
    'the retry wrote back the channel it served meanwhile')
  t.same(await admin.zrange('retries:{nodes}', 0, -1), [adapter.nodeId], 'and registered the node')
})

t.test('a subscription that fails is logged, and retried on the same connection once Redis takes it', async (t) => {
  const { admin, adapter, warnings } = await limitedNode(t, 'resetchannels')
  t.equal(adapter.ready(), false, 'not ready: its subscriber does not listen')
  await heartbeats(HEARTBEATS)
  t.match(warnings, [{ msg: 'broadcastt: Redis subscription failed; retrying', obj: { err: { message: /NOPERM/ } } }])
  t.equal(warnings.length, 1, `logged once in ${HEARTBEATS} heartbeats`)
  t.equal(await nodeConnections(admin), 2, 'both connections stay open: a retry does not wait for a reconnection')

  const ready = once(adapter.status, 'ready')
  await admin.call('ACL', 'SETUSER', 'node', 'allchannels')
  await ready
  t.equal(adapter.ready(), true)
  t.same(await admin.call('PUBSUB', 'CHANNELS') as string[], ['retries:{all}'], 'the node listens')
  t.equal(await nodeConnections(admin), 2, 'on the same two connections')
})

t.test('a channel\'s topic that cannot be subscribed on a ready node is subscribed by a later heartbeat', async (t) => {
  const { admin, adapter, node, warnings, port } = await limitedNode(t, 'resetchannels &retries:{all}')
  t.equal(adapter.ready(), true, 'ready: the topic every node listens to is allowed')
  t.equal(await adapter.subscribe('a', 'news'), false, 'its channel topic is not')
  await heartbeats(HEARTBEATS)
  t.match(warnings, [{ msg: 'broadcastt: Redis subscription failed; retrying', obj: { err: { message: /NOPERM/ } } }])
  t.equal(warnings.length, 1, `logged once in ${HEARTBEATS} heartbeats`)
  t.same(await admin.call('PUBSUB', 'CHANNELS') as string[], ['retries:{all}'])

  await admin.call('ACL', 'SETUSER', 'node', 'allchannels')
  const topic = 'retries:m:{a:news}'
  while (!(await admin.call('PUBSUB', 'CHANNELS') as string[]).includes(topic)) await heartbeats(1)
  t.pass(`a heartbeat subscribed ${topic}`)
  t.equal(await nodeConnections(admin), 2, 'on the same two connections')
  const other = new RedisAdapter({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'retries:' })
  t.teardown(() => other.close())
  await other.attach(new RecordingNode())
  await other.publish({ type: 'event', appId: 'a', channel: 'news', name: 'from-another-node', data: '{}' })
  t.match(await node.receivedCount(1), [{ type: 'event', name: 'from-another-node' }], 'another node\'s event reaches it')
})
