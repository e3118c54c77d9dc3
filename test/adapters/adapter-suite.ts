/**
 * The adapter conformance suite: what every adapter (memory, Redis) must do, checked through the Adapter
 * interface alone with recording LocalNodes, on one node and on two nodes sharing their state. Run it with
 * `adapterSuite(t, cluster)`.
 */
import type { Test } from 'tap'
import type { Adapter, ClusterMessage, Decisions, LocalNode } from '../../src/adapters/adapter.js'

/** A LocalNode that records what it receives and reports the local counts a test sets. */
export class RecordingNode implements LocalNode {
  readonly received: ClusterMessage[] = []
  readonly decisions: Decisions[] = []
  readonly counts = new Map<string, number>()
  #waiters: Array<{ count: number, resolve: () => void }> = []

  receive (message: ClusterMessage): void {
    this.received.push(message)
    this.#waiters = this.#waiters.filter((w) => {
      if (this.received.length < w.count) return true
      w.resolve()
      return false
    })
  }

  /** Resolves once `count` messages in all have arrived. */
  async receivedCount (count: number): Promise<ClusterMessage[]> {
    if (this.received.length < count) await new Promise<void>((resolve) => { this.#waiters.push({ count, resolve }) })
    return this.received
  }

  localCount (appId: string, channel: string): number { return this.counts.get(`${appId}/${channel}`) ?? 0 }
  setCount (appId: string, channel: string, n: number): void { this.counts.set(`${appId}/${channel}`, n) }
  decided (decisions: Decisions): void { this.decisions.push(decisions) }
}

/** A fresh cluster whose nodes share state (a memory broker, or one Redis key prefix). */
export interface TestCluster {
  node (): Promise<Adapter>
  /** Moves the cache clock forward: the memory adapter's clock, or what is left of the TTLs Redis keeps. */
  advance?: (ms: number) => void | Promise<void>
}

export type ClusterFactory = (t: Test) => Promise<TestCluster>

const event = (channel: string, name: string, except?: string): ClusterMessage => ({
  type: 'event', appId: 'a', channel, name, data: `{"n":"${name}"}`, ...(except === undefined ? {} : { except })
})

export function adapterSuite (t: Test, createCluster: ClusterFactory): void {
  const nodes = async (t: Test, n: number) => {
    const cluster = await createCluster(t)
    const out: Array<{ adapter: Adapter, node: RecordingNode }> = []
    for (let i = 0; i < n; i++) {
      const adapter = await cluster.node()
      const node = new RecordingNode()
      await adapter.attach(node)
      t.teardown(() => adapter.close())
      out.push({ adapter, node })
    }
    return { cluster, nodes: out }
  }

  t.test('publish reaches every subscribed node once, in order, with the exclusion; not the others', async (t) => {
    const { nodes: [a, b, c] } = await nodes(t, 3)
    if (a === undefined || b === undefined || c === undefined) throw new Error('no nodes')
    await a.adapter.subscribe('a', 'ch')
    await b.adapter.subscribe('a', 'ch')
    await a.adapter.publish(event('ch', 'e1', '1.1'))
    await c.adapter.publish(event('ch', 'e2'))
    await b.adapter.publish(event('ch', 'e3'))
    for (const { node } of [a, b]) {
      t.same((await node.receivedCount(3)).map((m) => m.type === 'event' ? [m.name, m.except] : [m.type]),
        [['e1', '1.1'], ['e2', undefined], ['e3', undefined]], 'the trigger order, on every node')
    }
    await a.adapter.publish({ type: 'terminate', appId: 'a', userId: 'u' })
    for (const { node } of [a, b]) t.match((await node.receivedCount(4))[3], { type: 'terminate' })
    t.same((await c.node.receivedCount(1)).map((m) => m.type), ['terminate'], 'terminate reaches every node')
    await c.adapter.barrier?.()
    t.equal(c.node.received.length, 1, 'a node not subscribed to the channel gets none of its events')
    await b.adapter.unsubscribe('a', 'ch')
    await a.adapter.publish(event('ch', 'e4'))
    await a.adapter.publish({ type: 'watchlist', appId: 'a', userId: 'u', online: true })
    t.same((await b.node.receivedCount(5))[4], { type: 'watchlist', appId: 'a', userId: 'u', online: true },
      'after unsubscribing, a node gets no more of the channel')
  })

  t.test('barrier: once it resolves, the node has received everything published before the call', async (t) => {
    const { nodes: [a, b] } = await nodes(t, 2)
    if (a === undefined || b === undefined) throw new Error('no nodes')
    t.type(b.adapter.barrier, 'function')
    await b.adapter.subscribe('a', 'ch')
    for (let i = 0; i < 20; i++) {
      await (i % 2 === 0 ? a : b).adapter.publish(event('ch', `e${i}`))
      await b.adapter.barrier?.()
      t.equal(b.node.received.length, i + 1, `event ${i} is there without waiting for it`)
    }
    await b.adapter.publish({ type: 'watchlist', appId: 'a', userId: 'u', online: true })
    await a.adapter.barrier?.()
    t.same(a.node.received.map((m) => m.type), ['watchlist'], 'and nothing of a channel the node does not serve')
    await b.adapter.close()
    await b.adapter.barrier?.()
    t.pass('a closed adapter\'s barrier resolves')
  })

  t.test('occupied and vacated are decided once for the cluster', async (t) => {
    const { nodes: [a, b] } = await nodes(t, 2)
    if (a === undefined || b === undefined) throw new Error('no nodes')
    const first = await Promise.all([a.adapter.subscribe('a', 'x'), b.adapter.subscribe('a', 'x')])
    t.equal(first.filter(Boolean).length, 1, 'one node decides occupied')
    t.equal(await a.adapter.subscribe('a', 'y'), true)
    const last = await Promise.all([a.adapter.unsubscribe('a', 'x'), b.adapter.unsubscribe('a', 'x')])
    t.equal(last.filter(Boolean).length, 1, 'one node decides vacated')
    t.equal(await b.adapter.unsubscribe('a', 'y'), false, 'a node that did not subscribe decides nothing')
  })

  t.test('counts: summed over nodes; userCount on presence channels only; listing by prefix', async (t) => {
    const { nodes: [a, b] } = await nodes(t, 2)
    if (a === undefined || b === undefined) throw new Error('no nodes')
    a.node.setCount('a', 'presence-r', 2)
    b.node.setCount('a', 'presence-r', 1)
    a.node.setCount('a', 'news', 2)
    await a.adapter.subscribe('a', 'presence-r')
    await b.adapter.subscribe('a', 'presence-r')
    await a.adapter.subscribe('a', 'news')
    b.node.setCount('a', 'presence-r', 3)
    b.adapter.countChanged('a', 'presence-r')
    await a.adapter.addMember('a', 'presence-r', '1.1', { id: 'u', info: null }, 100)
    await b.adapter.addMember('a', 'presence-r', '2.1', { id: 'u', info: null }, 100)
    await b.adapter.addMember('a', 'presence-r', '2.2', { id: 'v', info: null }, 100)
    t.same(await a.adapter.channel('a', 'presence-r'), { subscriptionCount: 5, userCount: 2 })
    t.same(await b.adapter.channel('a', 'news'), { subscriptionCount: 2 })
    t.same(await a.adapter.channel('a', 'presence-empty'), { subscriptionCount: 0, userCount: 0 })
    t.same(await a.adapter.channel('b', 'news'), { subscriptionCount: 0 }, 'apps are separate')
    t.same(Object.fromEntries(await b.adapter.channels('a', 'presence-')), {
      'presence-r': { subscriptionCount: 5, userCount: 2 }
    })
    t.same(Object.fromEntries(await b.adapter.channels('a')), {
      'presence-r': { subscriptionCount: 5, userCount: 2 },
      news: { subscriptionCount: 2 }
    })
  })

  t.test('presence: first/again decided atomically, limit, last connection, per app', async (t) => {
    const { nodes: [one] } = await nodes(t, 1)
    if (one === undefined) throw new Error('no nodes')
    const { adapter } = one
    const ann = { id: 'ann', info: { n: 1 } }
    const added = await adapter.addMember('a', 'presence-r', '1.1', ann, 2)
    t.match(added, { ok: true, first: true, members: [ann] })
    t.match(await adapter.addMember('a', 'presence-r', '1.2', { id: 'ann', info: { n: 2 } }, 2),
      { ok: true, first: false, members: [ann] }, 'a second socket of a member: not first, info kept')
    t.match(await adapter.addMember('a', 'presence-r', '1.2', ann, 2), { ok: true, first: false, members: [ann] },
      'the same socket again is a no-op')
    const bob = { id: 'bob', info: null }
    const withBob = await adapter.addMember('a', 'presence-r', '2.1', bob, 2)
    t.match(withBob, { ok: true, first: true })
    t.ok(withBob.ok && added.ok && withBob.seq > added.seq, 'each decision has a later sequence number')
    t.same(withBob.ok && sortById(withBob.members), [ann, bob])
    t.same(await adapter.addMember('a', 'presence-r', '3.1', { id: 'cy', info: null }, 2), { ok: false }, 'full')
    t.match(await adapter.addMember('a', 'presence-r', '1.3', ann, 2), { ok: true, first: false },
      'a member may add connections to a full channel')
    t.match(await adapter.addMember('b', 'presence-r', '9.9', { id: 'cy', info: null }, 2),
      { ok: true, first: true, members: [{ id: 'cy', info: null }] }, 'apps are separate')

    t.equal(await adapter.removeMember('a', 'presence-r', '1.1'), undefined)
    t.equal(await adapter.removeMember('a', 'presence-r', '1.2'), undefined)
    const removed = await adapter.removeMember('a', 'presence-r', '1.3')
    t.equal(removed?.userId, 'ann', 'the last connection: member removed')
    t.ok(withBob.ok && removed !== undefined && removed.seq > withBob.seq)
    t.equal(await adapter.removeMember('a', 'presence-r', '1.3'), undefined, 'removing twice decides nothing')
    t.equal(await adapter.removeMember('a', 'presence-r', 'nope'), undefined)
    t.same(await adapter.members('a', 'presence-r'), [bob])
    t.same(await adapter.members('a', 'presence-none'), [])
  })

  t.test('presence: the same user joining and leaving on two nodes at the same instant', async (t) => {
    const { nodes: [a, b] } = await nodes(t, 2)
    if (a === undefined || b === undefined) throw new Error('no nodes')
    for (let round = 0; round < 20; round++) {
      const ch = `presence-race-${round}`
      const joined = await Promise.all([
        a.adapter.addMember('a', ch, '1.1', { id: 'u', info: null }, 100),
        b.adapter.addMember('a', ch, '2.1', { id: 'u', info: null }, 100)
      ])
      t.equal(joined.filter((r) => r.ok && r.first).length, 1, `round ${round}: one member_added`)
      const left = await Promise.all([
        a.adapter.removeMember('a', ch, '1.1'), b.adapter.removeMember('a', ch, '2.1')
      ])
      t.equal(left.filter((r) => r !== undefined).length, 1, `round ${round}: one member_removed`)
      t.same(await a.adapter.members('a', ch), [])
    }
  })

  t.test('cache: kept with the publication, last event wins, visible to every node, per app', async (t) => {
    const { cluster, nodes: [a, b] } = await nodes(t, 2)
    if (a === undefined || b === undefined) throw new Error('no nodes')
    t.equal(await b.adapter.getCache('a', 'cache-x'), undefined)
    await a.adapter.publish(event('cache-x', 'e1'), 60)
    await b.adapter.publish(event('cache-x', 'e2'), 60)
    const entry = await a.adapter.getCache('a', 'cache-x')
    t.match(entry, { event: { type: 'event', name: 'e2', data: '{"n":"e2"}' }, ttlSeconds: 60 })
    t.equal(await b.adapter.getCache('b', 'cache-x'), undefined, 'apps are separate')
    await a.adapter.subscribe('a', 'cache-x')
    await b.adapter.publish(event('cache-x', 'e3'), 60)
    const [delivered] = await a.node.receivedCount(1)
    const newer = await a.adapter.getCache('a', 'cache-x')
    t.ok(delivered?.type === 'event' && newer !== undefined && delivered.seq === newer.event.seq,
      'the delivered event carries the sequence number of the cached one')
    t.ok(entry !== undefined && newer !== undefined && newer.event.seq > entry.event.seq)
    await a.adapter.publish(event('cache-y', 'e4'), 0)
    t.equal(await a.adapter.getCache('a', 'cache-y'), undefined, 'a TTL of 0 keeps nothing')
    if (cluster.advance !== undefined) {
      await cluster.advance(59_001)
      t.match(await b.adapter.getCache('a', 'cache-x'), { ttlSeconds: 1 })
      await cluster.advance(999)
      t.equal(await b.adapter.getCache('a', 'cache-x'), undefined, 'expired')
    }
  })

  t.test('users: online on the first connection cluster-wide, offline after the last', async (t) => {
    const { nodes: [a, b] } = await nodes(t, 2)
    if (a === undefined || b === undefined) throw new Error('no nodes')
    t.equal(await a.adapter.addUserConnection('a', 'u', '1.1'), true)
    t.equal(await a.adapter.addUserConnection('a', 'u', '1.1'), false, 'idempotent per socket')
    t.equal(await b.adapter.addUserConnection('a', 'u', '2.1'), false, 'already online through another node')
    t.same(await b.adapter.onlineUsers('a', ['v', 'u']), ['u'])
    t.same(await b.adapter.onlineUsers('b', ['u']), [], 'apps are separate')
    t.equal(await a.adapter.removeUserConnection('a', 'u', '1.1'), false)
    t.equal(await b.adapter.removeUserConnection('a', 'u', '2.1'), true, 'the last one')
    t.equal(await b.adapter.removeUserConnection('a', 'u', '2.1'), false)
    t.same(await a.adapter.onlineUsers('a', ['u']), [])
  })

  t.test('connection quota: counted cluster-wide, given back on removal', async (t) => {
    const { nodes: [a, b] } = await nodes(t, 2)
    if (a === undefined || b === undefined) throw new Error('no nodes')
    t.equal(await a.adapter.addConnection('a', 2), true)
    t.equal(await b.adapter.addConnection('a', 2), true)
    t.equal(await a.adapter.addConnection('a', 2), false, 'the app is full across the nodes')
    t.equal(await a.adapter.addConnection('b', 2), true, 'apps are separate')
    await b.adapter.removeConnection('a')
    t.equal(await a.adapter.addConnection('a', 2), true)
  })

  t.test('rates: one bucket per app and name for the cluster, all or none, refilled over time', async (t) => {
    const { cluster, nodes: [a, b] } = await nodes(t, 2)
    if (a === undefined || b === undefined) throw new Error('no nodes')
    // A slow rate (one token every 10 s), so nothing refills between these calls.
    const rate = 0.1
    t.equal(await a.adapter.takeTokens('a', 'events', 5, 3), true, '3 of the 5 tokens of one second')
    t.equal(await b.adapter.takeTokens('a', 'events', 5, 3), false, 'the other node sees the 2 left: all or none')
    t.equal(await b.adapter.takeTokens('a', 'events', 5, 2), true)
    t.equal(await a.adapter.takeTokens('a', 'events', 5, 1), false, 'the app is at its rate on every node')
    t.equal(await a.adapter.takeTokens('a', 'reads', 5, 5), true, 'another bucket of the app is separate')
    t.equal(await b.adapter.takeTokens('b', 'events', 5, 5), true, 'another app is separate')
    t.equal(await a.adapter.takeTokens('a', 'slow', rate, 0.1), true)
    t.equal(await b.adapter.takeTokens('a', 'slow', rate, 0.1), false)
    t.equal(await a.adapter.takeTokens('a', 'events', 0, 1000), true, 'a rate of 0 is unlimited')
    // A fast rate refills within milliseconds: wait until it has.
    t.equal(await a.adapter.takeTokens('a', 'fast', 1000, 1000), true)
    t.equal(await b.adapter.takeTokens('a', 'fast', 1000, 1000), false)
    await cluster.advance?.(10)
    let waited = 0
    while (!await b.adapter.takeTokens('a', 'fast', 1000, 5)) {
      if (++waited > 200) throw new Error('the bucket never refilled')
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    t.pass('the bucket refills')
  })
}

function sortById<T extends { id: string }> (list: readonly T[]): T[] {
  return [...list].sort((x, y) => x.id < y.id ? -1 : x.id > y.id ? 1 : 0)
}
