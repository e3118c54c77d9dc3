/**
 * Subscription count events (app option `subscriptionCountEvents`): subscribers get
 * `pusher_internal:subscription_count` with `{"subscription_count":N}`, gathered over an interval (one event
 * per interval however many subscriptions changed), never on presence channels, off by default; pusher-js 8
 * exposes it as `pusher:subscription_count` and `channel.subscriptionCount`; on two nodes over Redis every
 * subscriber gets the cluster-wide count.
 */
import t from 'tap'
import type { Clock } from '../../src/index.js'
import { signChannel } from '../../src/auth/channel-auth.js'
import { startCluster } from '../helpers/cluster.js'
import { localServerOptions, Pusher } from '../helpers/pusher-js.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'
import { open, type Frame } from '../helpers/ws-client.js'

const COUNTED = { ...TEST_APP, subscriptionCountEvents: true }

/** A clock whose intervals run only when the test ticks it. */
function manualClock (): Clock & { tick (): void } {
  const timers = new Set<() => void>()
  return {
    now: () => Date.now(),
    setInterval: (fn: () => void) => { timers.add(fn); return fn },
    clearInterval: (timer: never) => { timers.delete(timer) },
    tick: () => { for (const fn of [...timers]) fn() }
  }
}

const counts = (frames: Frame[]): unknown[] => frames.filter((f) => f.event.endsWith('_internal:subscription_count'))
  .map((f) => [f.event, f.channel, f.data])

t.test('one event per interval with the count, in each dialect; none on presence channels', async (t) => {
  const clock = manualClock()
  const server = await startServer(t, { apps: [COUNTED], clock })
  const clients = await Promise.all([1, 2, 3].map(async () => await open(t, server.wsUrl())))
  for (const client of clients) await client.subscribe('room')
  const legacy = await open(t, server.wsUrl(TEST_APP.key, ''))
  await legacy.subscribe('room', 'broadcastt')
  for (const client of clients) await client.settle()
  await legacy.settle('broadcastt')
  clock.tick()
  const expected = ['pusher_internal:subscription_count', 'room', '{"subscription_count":4}']
  for (const client of clients) t.same(counts(await client.settle()), [expected], 'four subscriptions, one event')
  t.same(counts(await legacy.settle('broadcastt')), [['broadcastt_internal:subscription_count', 'room', '{"subscription_count":4}']],
    'the Broadcastt dialect gets its own event name')

  await clients[2]?.close()
  await clients[0]?.settle()
  clock.tick()
  t.same(counts(await clients[0]?.settle() ?? []), [['pusher_internal:subscription_count', 'room', '{"subscription_count":3}']], 'a leave')
  clock.tick()
  t.same(counts(await clients[0]?.settle() ?? []), [], 'nothing when nothing changed')

  const member = clients[0]
  if (member === undefined) throw new Error('no client')
  const channelData = JSON.stringify({ user_id: 'u1' })
  await member.subscribe('presence-room', 'pusher', { auth: signChannel(TEST_APP, member.socketId, 'presence-room', channelData), channel_data: channelData })
  clock.tick()
  t.same(counts(await member.settle()), [], 'no subscription_count on a presence channel')
})

t.test('off by default', async (t) => {
  const clock = manualClock()
  const server = await startServer(t, { clock })
  const client = await open(t, server.wsUrl())
  await client.subscribe('room')
  clock.tick()
  t.same(counts(await client.settle()), [])
})

function pusherClient (t: { teardown (fn: () => unknown): void }, server: TestServer): Pusher {
  const pusher = new Pusher(TEST_APP.key, localServerOptions(server.port))
  t.teardown(() => { pusher.disconnect() })
  return pusher
}

type Counted = ReturnType<Pusher['subscribe']> & { subscriptionCount: number | null }

/** Resolves when the channel's `pusher:subscription_count` reports `n` (earlier counts are passed over). */
const countOf = (channel: Counted, n: number): Promise<{ subscription_count: number }> => new Promise((resolve) => {
  const onCount = (data: { subscription_count: number }): void => {
    if (data.subscription_count !== n) return
    channel.unbind('pusher:subscription_count', onCount)
    resolve(data)
  }
  channel.bind('pusher:subscription_count', onCount)
})

t.test('pusher-js 8: pusher:subscription_count and channel.subscriptionCount', async (t) => {
  const server = await startServer(t, { apps: [COUNTED], subscriptionCountIntervalMs: 20 })
  const ann = pusherClient(t, server).subscribe('lobby') as Counted
  t.same(await countOf(ann, 1), { subscription_count: 1 })
  t.equal(ann.subscriptionCount, 1)
  const bobPusher = pusherClient(t, server)
  const annSeesTwo = countOf(ann, 2)
  const bob = bobPusher.subscribe('lobby') as Counted
  await Promise.all([annSeesTwo, countOf(bob, 2)])
  t.equal(ann.subscriptionCount, 2)
  t.equal(bob.subscriptionCount, 2)
  const annSeesOne = countOf(ann, 1)
  bobPusher.unsubscribe('lobby')
  await annSeesOne
  t.equal(ann.subscriptionCount, 1)
})

t.test('two nodes over Redis: every subscriber gets the cluster-wide count', async (t) => {
  const [a, b] = await startCluster(t, 2, { apps: [COUNTED], subscriptionCountIntervalMs: 20 })
  if (a === undefined || b === undefined) throw new Error('no nodes')
  const ann = pusherClient(t, a).subscribe('hall') as Counted
  await countOf(ann, 1)
  const annSeesThree = countOf(ann, 3)
  const bobPusher = pusherClient(t, b)
  const bob = bobPusher.subscribe('hall') as Counted
  const cat = pusherClient(t, b).subscribe('hall') as Counted
  await Promise.all([annSeesThree, countOf(bob, 3), countOf(cat, 3)])
  t.equal(ann.subscriptionCount, 3, 'the subscriber on node a counts node b\'s two')
  const annSeesTwo = countOf(ann, 2)
  const catSeesTwo = countOf(cat, 2)
  bobPusher.disconnect()
  await Promise.all([annSeesTwo, catSeesTwo])
  t.equal(ann.subscriptionCount, 2)
  t.equal(cat.subscriptionCount, 2)
})
