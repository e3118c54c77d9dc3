/**
 * Filters (event types, channel-name prefix and suffix) and batching: events of one app gather into one
 * request per webhook, never mixing apps, at most `batchSize` per request, in order.
 */
import t from 'tap'
import { TEST_APP, startServer } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { joined, privateAuth } from '../channels/helpers.js'
import { receiver } from './receiver.js'
import { QUICK, serverWithWebhooks } from './helpers.js'

t.test('filters: event types, channel-name prefix and suffix', async (t) => {
  const all = await receiver(t)
  const prefixed = await receiver(t)
  const suffixed = await receiver(t)
  const both = await receiver(t)
  const server = await serverWithWebhooks(t, [
    { url: all.url, eventTypes: ['channel_occupied'] },
    { url: prefixed.url, eventTypes: ['channel_occupied'], filter: { channelNameStartsWith: 'private-' } },
    { url: suffixed.url, eventTypes: ['channel_occupied', 'cache_miss'], filter: { channelNameEndsWith: '-eu' } },
    { url: both.url, eventTypes: ['channel_occupied'], filter: { channelNameStartsWith: 'cache-', channelNameEndsWith: '-eu' } }
  ], { ...QUICK, inFlightPerApp: 1 })
  const client = await open(t, server.wsUrl())
  for (const channel of ['news', 'cache-us', 'cache-eu', 'orders-eu']) await joined(client, channel)
  await all.eventCount(4)
  await suffixed.eventCount(3)
  await both.eventCount(1)
  const prefixedBefore = prefixed.requests.length
  // Barriers: channels each webhook takes, joined after the rest (deliveries leave one at a time, in order).
  await joined(client, 'private-zz', privateAuth(client, 'private-zz'))
  await joined(client, 'cache-zz-eu')
  t.same((await all.through('cache-zz-eu')).map((e) => e.channel).filter((c) => c !== 'private-zz'), ['news', 'cache-us', 'cache-eu', 'orders-eu'])
  // cache_miss travels in a request of its own cause, so its place among the occupied events is not fixed.
  t.same((await suffixed.through('cache-zz-eu', 2)).map((e) => `${e.name}:${e.channel}`).sort(),
    ['cache_miss:cache-eu', 'channel_occupied:cache-eu', 'channel_occupied:orders-eu'])
  t.same((await both.through('cache-zz-eu')).map((e) => e.channel), ['cache-eu'])
  t.same(await prefixed.through('private-zz'), [], 'nothing but the barrier matched the prefix')
  t.equal(prefixedBefore, 0, 'no request when no event matches')
  t.equal(prefixed.requests.length, 1, 'one request to the prefixed webhook: the barrier\'s')
})

t.test('a batch per app and window, in order; never two apps in one request', async (t) => {
  const hook = await receiver(t)
  const apps = [
    { ...TEST_APP, webhooks: [{ url: hook.url, eventTypes: ['channel_occupied' as const] }] },
    { id: 'other-id', key: 'other-key', secret: 'other-secret', webhooks: [{ url: hook.url, eventTypes: ['channel_occupied' as const] }] }
  ]
  const server = await startServer(t, { apps, webhookDelivery: { batchMs: 50, inFlightPerApp: 1 }, clock: t.clock })
  const a = await open(t, server.wsUrl())
  const b = await open(t, server.wsUrl('other-key'))
  for (let i = 0; i < 5; i++) await joined(a, `a-${i}`)
  for (let i = 0; i < 3; i++) await joined(b, `b-${i}`)
  t.equal(hook.requests.length, 0, 'nothing sent before the window ends (fake clock)')
  t.clock.advance(50)
  await hook.eventCount(8)
  // Barriers: one more channel per app in the next window; each app's deliveries leave one at a time.
  await joined(a, 'a-zz')
  await joined(b, 'b-zz')
  t.clock.advance(50)
  await hook.until(() => ['a-zz', 'b-zz'].every((c) => hook.events.some((e) => e.channel === c)))
  const before = hook.requests.filter((r) => !r.body.events.some((e) => e.channel.endsWith('-zz')))
  const byKey = new Map(before.map((r) => [r.headers['x-pusher-key'], r.body.events.map((e) => e.channel)]))
  t.equal(before.length, 2, 'one request per app')
  t.same(byKey.get(TEST_APP.key), ['a-0', 'a-1', 'a-2', 'a-3', 'a-4'], 'in order')
  t.same(byKey.get('other-key'), ['b-0', 'b-1', 'b-2'])
})

t.test('at most batchSize events per request', async (t) => {
  const hook = await receiver(t)
  const server = await serverWithWebhooks(t, [{ url: hook.url, eventTypes: ['channel_occupied'] }], { batchMs: 50, batchSize: 4 },
    { clock: t.clock })
  const client = await open(t, server.wsUrl())
  for (let i = 0; i < 10; i++) await joined(client, `c-${i}`)
  await hook.eventCount(8)
  t.same(hook.requests.map((r) => r.body.events.length), [4, 4], 'full batches go at once')
  t.clock.advance(50)
  await hook.eventCount(10)
  t.same(hook.requests.map((r) => r.body.events.length), [4, 4, 2], 'the rest at the end of the window')
  t.same(hook.events.map((e) => e.channel), Array.from({ length: 10 }, (_, i) => `c-${i}`))
})
