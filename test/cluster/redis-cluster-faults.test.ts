/**
 * Faults on Redis Cluster, on a cluster of the test's own (test/helpers/own-cluster.ts): a primary killed
 * with SIGKILL and restarted empty, and a channel's slot moved to another primary while events flow.
 */
import t, { type Test } from 'tap'
import { RedisAdapter } from '../../src/adapters/redis.js'
import { RedisKeys } from '../../src/adapters/redis-keys.js'
import { OwnCluster } from '../helpers/own-cluster.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import type { Frame, TestClient } from '../helpers/ws-client.js'
import { setTimeout as delay } from 'node:timers/promises'
import { pusherFor, signed, subscriber } from '../http/helpers.js'
import { joined, presenceAuth } from '../channels/helpers.js'

t.setTimeout(240_000) // two clusters of its own, a restart and a slot move; slower on a loaded machine

const PREFIX = 'fault:'
const keys = new RedisKeys(PREFIX)

async function twoNodes (t: Test, cluster: OwnCluster):
Promise<[TestServer, TestServer, RedisAdapter, RedisAdapter]> {
  const adapters = [0, 1].map(() => new RedisAdapter({ nodes: cluster.nodes, keyPrefix: PREFIX, nodeTtlSeconds: 2 }))
  const [adapterA, adapterB] = adapters
  if (adapterA === undefined || adapterB === undefined) throw new Error('no adapters')
  t.teardown(async () => { await Promise.all(adapters.map(async (adapter) => { await adapter.close() })) })
  return [await startServer(t, { adapter: adapterA }), await startServer(t, { adapter: adapterB }), adapterA, adapterB]
}

/** A channel name (`base-N`) whose slot lies on the primary `port` (or, with `not`, on another one). */
async function channelOn (cluster: OwnCluster, base: string, port: number, not = false): Promise<string> {
  for (let i = 0; ; i++) {
    const channel = `${base}-${i}`
    const owner = await cluster.ownerOf(await cluster.slotOf(keys.channel(TEST_APP.id, channel)))
    if ((owner === port) !== not) return channel
  }
}

/** Takes the client's received frames that `match` (polling: a timed-out `next` would leave a waiter behind). */
function take (client: TestClient, match: (f: Frame) => boolean): Frame[] {
  const out: Frame[] = []
  for (let i = 0; i < client.frames.length;) {
    const frame = client.frames[i] as Frame
    if (match(frame)) out.push(...client.frames.splice(i, 1))
    else i++
  }
  return out
}

/** Channel event names a client received, once none arrived for `ms`. */
async function drain (client: TestClient, ms = 300): Promise<string[]> {
  let seen = -1
  while (client.frames.length !== seen) {
    seen = client.frames.length
    await delay(ms)
  }
  return take(client, (f) => f.channel !== undefined).map((f) => f.event)
}

/** Triggers `name` on `channel` through `from` until `client` receives one (the path works again). */
async function untilDelivered (from: TestServer, channel: string, client: TestClient, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await pusherFor(from).trigger(channel, name, {})
    for (let j = 0; j < 10; j++) {
      await delay(30)
      if (take(client, (f) => f.event === name).length > 0) return
    }
  }
  throw new Error(`${name} on ${channel} never arrived`)
}

t.test('a primary killed and restarted empty: local clients served meanwhile, then delivery and state come back', async (t) => {
  const cluster = await OwnCluster.start(t)
  const [a, b] = await twoNodes(t, cluster)
  // The victim owns none of the slots every node needs (node liveness, notices, the app's counts).
  const busy = new Set(await Promise.all([keys.nodes, keys.all, keys.app(TEST_APP.id)].map(async (key) => await cluster.ownerOf(await cluster.slotOf(key)))))
  const victim = cluster.ports.find((port) => !busy.has(port)) ?? cluster.ports[0] as number
  const lost = await channelOn(cluster, 'lost', victim)
  const presence = await channelOn(cluster, 'presence-lost', victim)
  const kept = await channelOn(cluster, 'kept', victim, true)
  const onA = await subscriber(t, a, [lost])
  const onB = await subscriber(t, b, [lost, kept])
  const member = await open(t, b.wsUrl())
  await joined(member, presence, presenceAuth(member, presence, 'bob'))
  await untilDelivered(a, lost, onB, 'before')
  t.same(await drain(onA), ['before'])

  await cluster.kill(victim)
  const during = await pusherFor(a).trigger(lost, 'during', {})
  t.equal(during.status, 200, 'a trigger on a channel of the dead shard is accepted')
  t.same((await onA.next((f) => f.channel === lost, 10_000)).event, 'during', 'the node\'s own subscribers get it')
  await drain(onB)
  await untilDelivered(a, kept, onB, 'other-shard')
  t.pass('cross-node delivery on the other shards goes on')

  await cluster.startNode(victim)
  await cluster.waitOk()
  await untilDelivered(a, lost, onB, 'after')
  t.pass('cross-node delivery on the restarted shard resumes')
  let users: unknown
  for (let i = 0; i < 100; i++) {
    users = (await signed(a, 'GET', `/channels/${presence}/users`)).body
    if (JSON.stringify(users) === JSON.stringify({ users: [{ id: 'bob' }] })) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.same(users, { users: [{ id: 'bob' }] }, 'presence written back to the restarted shard by its node')
  // Each node writes back its own counts after it saw the shard return: poll, as for presence.
  let counts: unknown
  for (let i = 0; i < 100; i++) {
    counts = (await signed(a, 'GET', `/channels/${lost}`, { query: { info: 'subscription_count' } })).body
    if (JSON.stringify(counts) === JSON.stringify({ occupied: true, subscription_count: 2 })) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.same(counts, { occupied: true, subscription_count: 2 }, 'subscription counts written back')
})

t.test('a channel\'s slot moved while events flow: every event after the move arrives, in order', async (t) => {
  const cluster = await OwnCluster.start(t)
  const [a, b] = await twoNodes(t, cluster)
  const channel = 'moving'
  const onB = await subscriber(t, b, [channel])
  await untilDelivered(a, channel, onB, 'ready')
  const slot = await cluster.slotOf(keys.channel(TEST_APP.id, channel))
  const from = await cluster.ownerOf(slot)
  const to = cluster.ports.find((port) => port !== from) as number

  let n = 0
  const flowing = { on: true }
  const flow = (async () => {
    while (flowing.on) {
      await pusherFor(a).trigger(channel, `e${n++}`, {}).catch(() => {})
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  await new Promise((resolve) => setTimeout(resolve, 200))
  await cluster.moveSlot(slot, to)
  await new Promise((resolve) => setTimeout(resolve, 200))
  flowing.on = false
  await flow
  t.equal(await cluster.ownerOf(slot), to, 'the slot moved')
  await untilDelivered(a, channel, onB, 'settled')
  const during = (await drain(onB)).filter((name) => /^e\d+$/.test(name)).map((name) => Number(name.slice(1)))
  t.same(during, [...during].sort((x, y) => x - y), 'no event out of order during the move')
  t.comment(`during the move: ${during.length} of ${n} events arrived on the other node`)

  for (let i = 0; i < 20; i++) await pusherFor(a).trigger(channel, `after${i}`, {})
  const after: string[] = []
  while (after.length < 20) after.push((await onB.next((f) => f.channel === channel, 5000)).event)
  t.same(after, Array.from({ length: 20 }, (_, i) => `after${i}`), 'every event after the move, in order')
})
