/**
 * Debouncing on the fake clock: channel_vacated and member_removed wait 3 s and vanish with their opposite
 * (a page reload sends nothing); otherwise they go after 3 s; events of a channel keep their order.
 */
import t from 'tap'
import { Debouncer } from '../../src/webhooks/debounce.js'
import type { WebhookEvent } from '../../src/webhooks/types.js'
import { open } from '../helpers/ws-client.js'
import { joined, presenceAuth, privateAuth } from '../channels/helpers.js'
import { receiver } from './receiver.js'
import { serverWithWebhooks } from './helpers.js'

const EVERYTHING = ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event', 'subscription_count'] as const

t.test('a page reload (leave and come back within 3 s) sends no webhook', async (t) => {
  const hook = await receiver(t)
  const server = await serverWithWebhooks(t, [{ url: hook.url, eventTypes: [...EVERYTHING] }], { batchMs: 50 }, { clock: t.clock })
  const first = await open(t, server.wsUrl())
  await joined(first, 'presence-room', presenceAuth(first, 'presence-room', 'u1'))
  t.clock.advance(50)
  await hook.eventCount(3)
  // One request per cause (channel lifecycle, member, the rest), so in any order.
  t.same(hook.events.map((e) => e.name).sort(), ['channel_occupied', 'member_added', 'subscription_count'])

  const vacated = new Promise<void>((resolve) => { server.app.broadcastt.on('channel_vacated', () => { resolve() }) })
  await first.close()
  await vacated
  t.clock.advance(2000)
  const reloaded = await open(t, server.wsUrl())
  await joined(reloaded, 'presence-room', presenceAuth(reloaded, 'presence-room', 'u1'))
  t.clock.advance(5000)
  // Prove that nothing is on its way: a later event arrives alone.
  await joined(reloaded, 'marker')
  t.clock.advance(50)
  await hook.eventCount(5)
  t.same(hook.events.slice(3).map((e) => `${e.name}:${e.channel}`).sort(), ['channel_occupied:marker', 'subscription_count:marker'],
    'neither vacated/occupied nor removed/added nor a subscription count was sent for the reload')
  t.equal(hook.requests.length, 5, 'five requests in all: three causes, then two')
})

t.test('channel_vacated and member_removed go after 3 s when nobody comes back', async (t) => {
  const hook = await receiver(t)
  const server = await serverWithWebhooks(t, [{ url: hook.url, eventTypes: [...EVERYTHING] }], { batchMs: 50 }, { clock: t.clock })
  const client = await open(t, server.wsUrl())
  await joined(client, 'presence-room', presenceAuth(client, 'presence-room', 'u1'))
  t.clock.advance(50)
  await hook.eventCount(3)
  const vacated = new Promise<void>((resolve) => { server.app.broadcastt.on('channel_vacated', () => { resolve() }) })
  const removed = new Promise<void>((resolve) => { server.app.broadcastt.on('member_removed', () => { resolve() }) })
  await client.close()
  await vacated
  await removed
  t.clock.advance(2900)
  await joined(await open(t, server.wsUrl()), 'marker')
  t.clock.advance(50)
  await hook.eventCount(5)
  t.same(hook.events.slice(3).map((e) => e.name), ['channel_occupied', 'subscription_count'], 'not before 3 s')
  t.clock.advance(100)
  const events = await hook.eventCount(7)
  t.same(events.slice(5), [
    { name: 'channel_vacated', channel: 'presence-room' },
    { name: 'member_removed', channel: 'presence-room', user_id: 'u1' }
  ], 'after 3 s, in the order they happened')
})

t.test('Debouncer: order within a channel is kept behind a waiting event', async (t) => {
  const out: string[] = []
  const d = new Debouncer(3000, (appId, e) => { out.push(`${appId}:${e.name}:${'user_id' in e ? e.user_id ?? '' : ''}${e.name === 'client_event' ? e.event : ''}`) })
  const client = (event: string): WebhookEvent => ({ name: 'client_event', channel: 'c', event, data: '', socket_id: '1.1' })
  d.push('a', { name: 'member_removed', channel: 'c', user_id: 'u1' }, 0)
  d.push('a', client('client-1'), 10)
  d.push('a', client('client-x'), 10)
  d.push('b', client('client-2'), 20)
  t.same(out, ['b:client_event:client-2'], 'another app (or channel) is not held up')
  d.tick(2999)
  t.same(out.length, 1)
  d.tick(3000)
  t.same(out.slice(1), ['a:member_removed:u1', 'a:client_event:client-1', 'a:client_event:client-x'], 'released in order')

  out.length = 0
  d.push('a', { name: 'member_removed', channel: 'c', user_id: 'u1' }, 5000)
  d.push('a', client('client-3'), 5001)
  d.push('a', { name: 'member_added', channel: 'c', user_id: 'u2' }, 5002)
  d.push('a', { name: 'member_added', channel: 'c', user_id: 'u1' }, 5003)
  t.same(out, ['a:client_event:client-3', 'a:member_added:u2'], 'a cancelled pair releases what waited behind it')
  t.equal(d.size, 0)
})

t.test('Debouncer: subscription counts coalesce, falling counts wait, repeats are not sent', async (t) => {
  const out: number[] = []
  const d = new Debouncer(3000, (_appId, e) => { if (e.name === 'subscription_count') out.push(e.subscription_count) })
  const count = (n: number): WebhookEvent => ({ name: 'subscription_count', channel: 'c', subscription_count: n })
  d.push('a', count(1), 0)
  d.push('a', count(2), 1)
  d.push('a', count(3), 2)
  t.same(out, [1, 2, 3], 'rising counts go at once')
  d.push('a', count(2), 3)
  d.push('a', count(3), 4)
  d.tick(10_000)
  t.same(out, [1, 2, 3], 'a falling count waits, and a return to the last sent count sends nothing')
  d.push('a', count(2), 10_001)
  d.push('a', count(1), 10_002)
  d.tick(13_001)
  t.same(out, [1, 2, 3, 1], 'only the latest of falling counts is sent, after the wait')
})

t.test('client events on a channel wait behind a member_removed of that channel (server, fake clock)', async (t) => {
  const hook = await receiver(t)
  const server = await serverWithWebhooks(t, [{ url: hook.url, eventTypes: ['member_removed', 'client_event'] }], { batchMs: 50 }, { clock: t.clock })
  const stays = await open(t, server.wsUrl())
  const leaves = await open(t, server.wsUrl())
  await joined(stays, 'presence-x', presenceAuth(stays, 'presence-x', 'stays'))
  await joined(leaves, 'presence-x', presenceAuth(leaves, 'presence-x', 'leaves'))
  await joined(stays, 'private-y', privateAuth(stays, 'private-y'))
  const removed = new Promise<void>((resolve) => { server.app.broadcastt.on('member_removed', () => { resolve() }) })
  await leaves.close()
  await removed
  const sent = new Promise<void>((resolve) => { server.app.broadcastt.on('client_event', (e) => { if (e.event === 'client-elsewhere') resolve() }) })
  stays.send('client-after', {}, 'presence-x')
  stays.send('client-elsewhere', {}, 'private-y')
  await sent
  t.clock.advance(50)
  await hook.eventCount(1)
  t.same(hook.events.map((e) => e.name === 'client_event' ? e.event : e.name), ['client-elsewhere'], 'another channel is not held up')
  t.clock.advance(3000)
  await hook.eventCount(3)
  t.same(hook.events.slice(1).map((e) => e.name === 'client_event' ? e.event : e.name), ['member_removed', 'client-after'])
})
