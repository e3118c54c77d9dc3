/**
 * The adapter conformance suite: what every adapter (memory today, Redis later) must do, checked through
 * the Adapter interface alone with a recording LocalNode. Run it with `adapterSuite(t, create)`.
 */
import type { Test } from 'tap'
import type { Adapter, LocalNode } from '../../src/adapters/adapter.js'
import type { ChannelFrames } from '../../src/protocol/codec.js'

/** A LocalNode that records deliveries and terminations and reports fixed local counts. */
export class RecordingNode implements LocalNode {
  readonly delivered: Array<{ appId: string, channel: string, frames: ChannelFrames, except: string | undefined }> = []
  readonly terminated: Array<[string, string]> = []
  readonly counts = new Map<string, Map<string, number>>()

  deliver (appId: string, channel: string, frames: ChannelFrames, exceptSocketId?: string): void {
    this.delivered.push({ appId, channel, frames, except: exceptSocketId })
  }

  * localChannels (appId: string): Iterable<readonly [string, number]> {
    yield * (this.counts.get(appId) ?? new Map<string, number>())
  }

  localCount (appId: string, channel: string): number { return this.counts.get(appId)?.get(channel) ?? 0 }
  terminateLocalUser (appId: string, userId: string): void { this.terminated.push([appId, userId]) }
}

export interface AdapterFactory {
  /** A fresh adapter whose cache clock is `now()`. */
  (now: () => number): Promise<Adapter>
}

const frames = (text: string): ChannelFrames => ({ broadcastt: text, pusher: text })

export function adapterSuite (t: Test, create: AdapterFactory): void {
  const setup = async (t: Test) => {
    let time = 1_000_000
    const adapter = await create(() => time)
    const node = new RecordingNode()
    await adapter.attach(node)
    t.teardown(() => adapter.close())
    return { adapter, node, advance: (ms: number) => { time += ms } }
  }

  t.test('publish reaches the node with the exclusion', async (t) => {
    const { adapter, node } = await setup(t)
    await adapter.publish('a', 'ch', frames('x'), '1.1')
    await adapter.publish('a', 'ch', frames('y'))
    t.same(node.delivered, [
      { appId: 'a', channel: 'ch', frames: frames('x'), except: '1.1' },
      { appId: 'a', channel: 'ch', frames: frames('y'), except: undefined }
    ])
  })

  t.test('presence: first/again decided atomically, limit, last connection, per app', async (t) => {
    const { adapter } = await setup(t)
    const ann = { id: 'ann', info: { n: 1 } }
    t.same(await adapter.addMember('a', 'presence-r', '1.1', ann, 2), { ok: true, first: true, members: [ann] })
    t.same(await adapter.addMember('a', 'presence-r', '1.2', { id: 'ann', info: { n: 2 } }, 2),
      { ok: true, first: false, members: [ann] }, 'a second socket of a member: not first, info kept')
    t.same(await adapter.addMember('a', 'presence-r', '1.2', ann, 2), { ok: true, first: false, members: [ann] },
      'the same socket again is a no-op')
    const bob = { id: 'bob', info: null }
    t.same(await adapter.addMember('a', 'presence-r', '2.1', bob, 2), { ok: true, first: true, members: [ann, bob] })
    t.same(await adapter.addMember('a', 'presence-r', '3.1', { id: 'cy', info: null }, 2), { ok: false }, 'full')
    t.same(await adapter.addMember('a', 'presence-r', '1.3', ann, 2), { ok: true, first: false, members: [ann, bob] },
      'a member may add connections to a full channel')
    t.same(await adapter.addMember('b', 'presence-r', '9.9', { id: 'cy', info: null }, 2),
      { ok: true, first: true, members: [{ id: 'cy', info: null }] }, 'apps are separate')

    t.equal(await adapter.removeMember('a', 'presence-r', '1.1'), undefined)
    t.equal(await adapter.removeMember('a', 'presence-r', '1.2'), undefined)
    t.equal(await adapter.removeMember('a', 'presence-r', '1.3'), 'ann', 'the last connection: member removed')
    t.equal(await adapter.removeMember('a', 'presence-r', '1.3'), undefined, 'removing twice decides nothing')
    t.equal(await adapter.removeMember('a', 'presence-r', 'nope'), undefined)
    t.same(await adapter.members('a', 'presence-r'), [bob])
    t.same(await adapter.members('a', 'presence-none'), [])
  })

  t.test('counts: userCount on presence channels only', async (t) => {
    const { adapter, node } = await setup(t)
    node.counts.set('a', new Map([['presence-r', 3], ['presence-cache-r', 1], ['news', 2]]))
    await adapter.addMember('a', 'presence-r', '1.1', { id: 'u', info: null }, 100)
    await adapter.addMember('a', 'presence-r', '1.2', { id: 'u', info: null }, 100)
    await adapter.addMember('a', 'presence-r', '1.3', { id: 'v', info: null }, 100)
    await adapter.addMember('a', 'presence-cache-r', '2.1', { id: 'u', info: null }, 100)
    t.same(await adapter.channel('a', 'presence-r'), { subscriptionCount: 3, userCount: 2 })
    t.same(await adapter.channel('a', 'news'), { subscriptionCount: 2 })
    t.same(await adapter.channel('a', 'presence-empty'), { subscriptionCount: 0, userCount: 0 })
    t.same(Object.fromEntries(await adapter.channels('a', 'presence-')), {
      'presence-r': { subscriptionCount: 3, userCount: 2 },
      'presence-cache-r': { subscriptionCount: 1, userCount: 1 }
    })
    t.same(Object.fromEntries(await adapter.channels('a')), {
      'presence-r': { subscriptionCount: 3, userCount: 2 },
      'presence-cache-r': { subscriptionCount: 1, userCount: 1 },
      news: { subscriptionCount: 2 }
    })
  })

  t.test('cache: last event wins, TTL in whole seconds left, expiry, per app', async (t) => {
    const { adapter, advance } = await setup(t)
    const event = (n: number) => ({ event: `e${n}`, data: `{"n":${n}}`, frames: frames(`f${n}`) })
    t.equal(await adapter.getCache('a', 'cache-x'), undefined)
    await adapter.setCache('a', 'cache-x', event(1), 60)
    await adapter.setCache('a', 'cache-x', event(2), 60)
    t.same(await adapter.getCache('a', 'cache-x'), { event: event(2), ttlSeconds: 60 })
    t.equal(await adapter.getCache('b', 'cache-x'), undefined, 'apps are separate')
    advance(59_001)
    t.same(await adapter.getCache('a', 'cache-x'), { event: event(2), ttlSeconds: 1 })
    advance(999)
    t.equal(await adapter.getCache('a', 'cache-x'), undefined, 'expired')
    await adapter.setCache('a', 'cache-y', event(3), 0)
    t.equal(await adapter.getCache('a', 'cache-y'), undefined, 'a TTL of 0 keeps nothing')
  })

  t.test('users: online on the first connection, offline after the last; terminate reaches the node', async (t) => {
    const { adapter, node } = await setup(t)
    t.equal(await adapter.addUserConnection('a', 'u', '1.1'), true)
    t.equal(await adapter.addUserConnection('a', 'u', '1.1'), false, 'idempotent per socket')
    t.equal(await adapter.addUserConnection('a', 'u', '1.2'), false)
    t.same(await adapter.onlineUsers('a', ['v', 'u']), ['u'])
    t.same(await adapter.onlineUsers('b', ['u']), [], 'apps are separate')
    t.equal(await adapter.removeUserConnection('a', 'u', '1.1'), false)
    t.equal(await adapter.removeUserConnection('a', 'u', '1.2'), true, 'the last one')
    t.equal(await adapter.removeUserConnection('a', 'u', '1.2'), false)
    t.same(await adapter.onlineUsers('a', ['u']), [])
    await adapter.terminateUser('a', 'u')
    t.same(node.terminated, [['a', 'u']])
  })
}
