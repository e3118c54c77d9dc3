/**
 * Every webhook event type (PROTOCOL.md §11) reaches a real local receiver with its fields, and the request
 * has the documented format: POST, application/json, the key and signature headers, `{time_ms, events}`.
 */
import t from 'tap'
import Pusher from 'pusher'
import { createHmac } from 'node:crypto'
import { TEST_APP } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { joined, presenceAuth, privateAuth } from '../channels/helpers.js'
import { receiver } from './receiver.js'
import { QUICK, serverWithWebhooks } from './helpers.js'

/** One request in flight at a time: deliveries arrive in queue order, so `hook.through(barrier)` is a barrier. */
const ORDERED = { ...QUICK, inFlightPerApp: 1 }

const ALL = ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event', 'cache_miss',
  'subscription_count'] as const

t.test('request format: POST, JSON, key and signature headers the pusher SDK accepts', async (t) => {
  const hook = await receiver(t)
  const server = await serverWithWebhooks(t, [{ url: hook.url, eventTypes: ['channel_occupied'], headers: { 'X-Extra': 'yes', 'X-Pusher-Key': 'forged' } }])
  const client = await open(t, server.wsUrl())
  await joined(client, 'news')
  await hook.eventCount(1)
  const [request] = hook.requests
  if (request === undefined) throw new Error('no request')
  t.equal(request.method, 'POST')
  t.equal(request.url, '/hook')
  t.equal(request.headers['content-type'], 'application/json')
  t.equal(request.headers['x-extra'], 'yes', 'configured headers are sent')
  t.equal(request.headers['x-pusher-key'], TEST_APP.key, 'configured headers cannot override the key')
  t.equal(request.headers['x-broadcastt-key'], TEST_APP.key)
  const expected = createHmac('sha256', TEST_APP.secret).update(request.rawBody).digest('hex')
  t.equal(request.headers['x-pusher-signature'], expected, 'hex HMAC-SHA256 of the raw body with the app secret')
  t.equal(request.headers['x-broadcastt-signature'], expected)
  t.match(request.body, { time_ms: Number, events: [{ name: 'channel_occupied', channel: 'news' }] })
  t.ok(Math.abs(request.body.time_ms - Date.now()) < 60_000, 'time_ms is the server time in ms')

  const pusher = new Pusher({ appId: TEST_APP.id, key: TEST_APP.key, secret: TEST_APP.secret, host: '127.0.0.1' })
  const webhook = pusher.webhook({ headers: request.headers as Record<string, string>, rawBody: request.rawBody })
  t.ok(webhook.isValid(), 'the pusher SDK validates the webhook')
  t.same(webhook.getEvents(), request.body.events)
  const tampered = pusher.webhook({ headers: request.headers as Record<string, string>, rawBody: request.rawBody.replace('news', 'nope') })
  t.notOk(tampered.isValid(), 'and refuses a changed body')
  const other = new Pusher({ appId: TEST_APP.id, key: TEST_APP.key, secret: 'another-secret', host: '127.0.0.1' })
  t.notOk(other.webhook({ headers: request.headers as Record<string, string>, rawBody: request.rawBody }).isValid(),
    'and a body signed with another secret')
})

t.test('channel_occupied, subscription_count and channel_vacated', async (t) => {
  const hook = await receiver(t)
  const server = await serverWithWebhooks(t, [{ url: hook.url, eventTypes: [...ALL] }], ORDERED)
  const a = await open(t, server.wsUrl())
  const b = await open(t, server.wsUrl())
  await joined(a, 'room')
  await hook.eventCount(2)
  await joined(b, 'room')
  await hook.eventCount(3)
  await b.close()
  await hook.eventCount(4)
  await a.close()
  await hook.eventCount(5)
  const late = await open(t, server.wsUrl())
  await joined(late, 'barrier')
  const events = await hook.through('barrier', 2) // channel_occupied and subscription_count of the barrier
  t.same(events, [
    { name: 'channel_occupied', channel: 'room' },
    { name: 'subscription_count', channel: 'room', subscription_count: 1 },
    { name: 'subscription_count', channel: 'room', subscription_count: 2 },
    { name: 'subscription_count', channel: 'room', subscription_count: 1 },
    { name: 'channel_vacated', channel: 'room' }
  ], 'a channel at 0 is reported by channel_vacated alone')
})

t.test('member_added and member_removed, once per user', async (t) => {
  const hook = await receiver(t)
  const server = await serverWithWebhooks(t, [{ url: hook.url, eventTypes: ['member_added', 'member_removed'] }], ORDERED)
  const first = await open(t, server.wsUrl())
  const second = await open(t, server.wsUrl())
  await joined(first, 'presence-room', presenceAuth(first, 'presence-room', 'u1', { name: 'Ann' }))
  await hook.eventCount(1)
  await joined(second, 'presence-room', presenceAuth(second, 'presence-room', 'u1'))
  await second.close()
  await first.close()
  await hook.eventCount(2)
  const late = await open(t, server.wsUrl())
  await joined(late, 'presence-barrier', presenceAuth(late, 'presence-barrier', 'u2'))
  const events = await hook.through('presence-barrier')
  t.same(events, [
    { name: 'member_added', channel: 'presence-room', user_id: 'u1' },
    { name: 'member_removed', channel: 'presence-room', user_id: 'u1' }
  ], 'a second connection of the same user adds no event')
})

t.test('client_event with socket_id, and user_id on presence channels', async (t) => {
  const hook = await receiver(t)
  const server = await serverWithWebhooks(t, [{ url: hook.url, eventTypes: ['client_event'] }], ORDERED)
  const sender = await open(t, server.wsUrl())
  const other = await open(t, server.wsUrl())
  await joined(sender, 'private-chat', privateAuth(sender, 'private-chat'))
  await joined(other, 'private-chat', privateAuth(other, 'private-chat'))
  sender.send('client-typing', { who: 'me' }, 'private-chat')
  await other.next('client-typing')
  await joined(sender, 'presence-chat', presenceAuth(sender, 'presence-chat', 'u7'))
  sender.send('client-wave', 'hi', 'presence-chat')
  await hook.eventCount(2)
  await joined(sender, 'private-barrier', privateAuth(sender, 'private-barrier'))
  sender.send('client-done', {}, 'private-barrier')
  const events = await hook.through('private-barrier')
  t.same(events, [
    { name: 'client_event', channel: 'private-chat', event: 'client-typing', data: '{"who":"me"}', socket_id: sender.socketId },
    { name: 'client_event', channel: 'presence-chat', event: 'client-wave', data: 'hi', socket_id: sender.socketId, user_id: 'u7' }
  ])
})

t.test('cache_miss', async (t) => {
  const hook = await receiver(t)
  const server = await serverWithWebhooks(t, [{ url: hook.url, eventTypes: ['cache_miss'] }], ORDERED)
  const client = await open(t, server.wsUrl())
  await joined(client, 'cache-prices')
  t.same(await hook.eventCount(1), [{ name: 'cache_miss', channel: 'cache-prices' }])
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['cache-prices'], name: 'p', data: '1' })
  const late = await open(t, server.wsUrl())
  await joined(late, 'cache-prices')
  await late.next('p')
  await joined(late, 'cache-other')
  await hook.eventCount(2)
  await joined(late, 'cache-barrier')
  t.same(await hook.through('cache-barrier'), [{ name: 'cache_miss', channel: 'cache-prices' }, { name: 'cache_miss', channel: 'cache-other' }],
    'no miss when the cache holds an event')
})
