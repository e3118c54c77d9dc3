/**
 * The console's live stream, as a tab reads it: each hub event of the followed app becomes one entry (and
 * nothing of other apps), the counts arrive every second, event data is cut past its bound, the hub
 * listeners exist only while a tab is open, and `fastify.close()` ends open tabs instead of waiting on them.
 */
import t from 'tap'
import type { Hub } from '../../src/hub/hub.js'
import type { HubEvents } from '../../src/hub/events.js'
import { GatedAdapter } from '../helpers/gated-adapter.js'
import { Receiver } from '../webhooks/receiver.js'
import { open } from '../helpers/ws-client.js'
import { TEST_APP } from '../helpers/server.js'
import { presenceAuth, signinData } from '../channels/helpers.js'
import { DATA_CHARS } from '../../src/console/entries.js'
import { BEARER, openStream, startConsole } from './helpers.js'

const OTHER = { id: 'other-id', key: 'other-key', secret: 'other-secret' }

t.test('connections, subscriptions, channel, client and backend events, members and sign-ins of the app', async (t) => {
  const server = await startConsole(t, { apps: [{ ...TEST_APP, limits: { eventDataBytes: DATA_CHARS + 1000 } }, OTHER] })
  const tab = await openStream(t, server, TEST_APP.id)
  const client = await open(t, server.wsUrl())
  await tab.entry('connection_opened', { socketId: client.socketId })
  await client.subscribe('my-channel')
  await tab.entry('channel_occupied', { channel: 'my-channel' })
  t.match(await tab.entry('subscribed', { channel: 'my-channel' }), { kind: 'subscription', socketId: client.socketId })

  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['my-channel', 'other-channel'], name: 'hello', data: '{"n":1}', socketId: '1.2' })
  t.match(await tab.entry('event_triggered'), {
    kind: 'event', event: 'hello', channels: ['my-channel', 'other-channel'], data: '{"n":1}', bytes: 7, socketId: '1.2'
  })
  const big = 'x'.repeat(DATA_CHARS + 10)
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['my-channel'], name: 'big', data: big })
  const cut = await tab.entry('event_triggered', { event: 'big' })
  t.equal((cut.data as string).length, DATA_CHARS, 'data cut to its bound')
  t.equal(cut.truncated, true)
  t.equal(cut.bytes, DATA_CHARS + 10, 'with its full size')

  const presence = 'presence-room'
  const reply = await client.subscribe(presence, 'pusher', presenceAuth(client, presence, 'ann', { name: 'Ann' }))
  t.match(reply.event, /subscription_succeeded$/)
  t.match(await tab.entry('member_added', { channel: presence }), { kind: 'member', userId: 'ann', userInfo: { name: 'Ann' } })
  client.send('client-typing', { now: true }, presence)
  t.match(await tab.entry('client_event', { channel: presence }), { kind: 'client_event', event: 'client-typing', socketId: client.socketId, bytes: 12 })
  client.send('pusher:signin', signinData(client, { id: 'ann' }))
  t.match(await tab.entry('user_signed_in'), { kind: 'user', userId: 'ann', socketId: client.socketId })
  client.send('pusher:unsubscribe', { channel: presence })
  await tab.entry('unsubscribed', { channel: presence, socketId: client.socketId })
  await tab.entry('member_removed', { channel: presence, userId: 'ann' })

  const other = await open(t, server.wsUrl(OTHER.key))
  await other.subscribe('theirs')
  client.ws.close(4321)
  t.match(await tab.entry('connection_closed', { socketId: client.socketId }), { kind: 'connection', code: 4321 })
  await tab.entry('unsubscribed', { channel: 'my-channel', socketId: client.socketId })
  await tab.entry('channel_vacated', { channel: 'my-channel' })
  await open(t, server.wsUrl('no-such-key')).catch(() => undefined)
  await server.app.broadcastt.settle()
  const channels = tab.messages.filter((m) => m.event === 'entry').flatMap((m) => {
    const entry = m.data as { channel?: string, channels?: string[] }
    return entry.channels ?? (entry.channel === undefined ? [] : [entry.channel])
  })
  t.notOk(channels.includes('theirs'), 'nothing of the other app')
  const sockets = tab.messages.filter((m) => m.event === 'entry').map((m) => (m.data as { socketId?: string }).socketId)
  t.notOk(sockets.includes(other.socketId), 'nor its connections')
})

t.test('every second, the apps and their counts on this node', async (t) => {
  const server = await startConsole(t, { apps: [TEST_APP, OTHER] })
  const client = await open(t, server.wsUrl())
  await client.subscribe('a')
  await client.subscribe('b')
  const tab = await openStream(t, server, OTHER.id)
  const stats = await tab.next((m) => m.event === 'stats')
  t.match(stats.data, {
    apps: [
      { id: TEST_APP.id, key: TEST_APP.key, enabled: true, connections: 1, channels: 2, subscriptions: 2 },
      { id: OTHER.id, connections: 0, channels: 0, subscriptions: 0 }
    ]
  })
})

t.test('webhooks sent and given up', async (t) => {
  const hook = await new Receiver().listen()
  t.teardown(() => hook.close())
  hook.answer = (n) => n === 0 ? 200 : 500
  const server = await startConsole(t, {
    apps: [{ ...TEST_APP, webhooks: [{ url: hook.url, eventTypes: ['channel_occupied'] }] }],
    webhookDelivery: { batchMs: 10, retryHorizonMs: 0, retryBaseDelayMs: 10, retryMaxDelayMs: 20 }
  })
  const tab = await openStream(t, server, TEST_APP.id)
  const client = await open(t, server.wsUrl())
  await client.subscribe('first')
  t.match(await tab.entry('webhook_delivered'), { kind: 'webhook', url: hook.url, events: 1, attempts: 1 })
  await client.subscribe('second')
  t.match(await tab.entry('webhook_failed'), { kind: 'webhook', url: hook.url, events: 1 })
})

t.test('the hub builds the console\'s events only while a tab is open', async (t) => {
  const adapter = new GatedAdapter()
  const server = await startConsole(t, { adapter })
  const hub = adapter.node as Hub
  const emitted: string[] = []
  const emit = hub.events.emit.bind(hub.events) as (event: keyof HubEvents, ...args: unknown[]) => boolean
  hub.events.emit = ((event: keyof HubEvents, ...args: unknown[]) => {
    emitted.push(event)
    return emit(event, ...args)
  }) as typeof hub.events.emit
  const ONLY_FOR_THE_CONSOLE = ['subscribed', 'unsubscribed', 'event_triggered']
  const client = await open(t, server.wsUrl())
  await client.subscribe('c')
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['c'], name: 'e', data: '{}' })
  client.send('pusher:unsubscribe', { channel: 'c' })
  await client.settle()
  t.ok(emitted.includes('subscription_count'), 'the other events were emitted')
  t.same(emitted.filter((e) => ONLY_FOR_THE_CONSOLE.includes(e)), [], 'but none of these, without a tab')
  t.same(ONLY_FOR_THE_CONSOLE.map((e) => hub.events.listenerCount(e as keyof HubEvents)), [0, 0, 0])

  const tab = await openStream(t, server, TEST_APP.id)
  t.same(ONLY_FOR_THE_CONSOLE.map((e) => hub.events.listenerCount(e as keyof HubEvents)), [1, 1, 1], 'a tab listens')
  await client.subscribe('d')
  await tab.entry('subscribed', { channel: 'd' })
  const second = await openStream(t, server, TEST_APP.id)
  t.equal(hub.events.listenerCount('subscribed'), 1, 'one listener for any number of tabs')
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['d'], name: 'both', data: '{}' })
  await tab.entry('event_triggered', { event: 'both' })
  await second.entry('event_triggered', { event: 'both' })
  tab.close()
  second.close()
  await until(() => hub.events.listenerCount('subscribed') === 0)
  t.same(ONLY_FOR_THE_CONSOLE.map((e) => hub.events.listenerCount(e as keyof HubEvents)), [0, 0, 0], 'none once the tabs closed')
})

t.test('unknown apps are refused; fastify.close() ends open tabs', async (t) => {
  const server = await startConsole(t)
  const missing = await fetch(`${server.base}/api/stream?app=nope`, { headers: BEARER })
  t.equal(missing.status, 404)
  t.equal((await missing.json() as { code: string }).code, 'FST_BROADCASTT_UNKNOWN_APP')
  const unnamed = await fetch(`${server.base}/api/stream`, { headers: BEARER })
  t.equal(unnamed.status, 400, 'no app named')
  t.equal((await unnamed.json() as { code: string }).code, 'FST_BROADCASTT_INVALID_REQUEST')
  const tab = await openStream(t, server, TEST_APP.id)
  const ended = new Promise<void>((resolve) => { tab.response.on('end', resolve) })
  await server.app.close()
  await ended
  t.pass('the tab was ended and the server closed')
})

/** Waits for a condition the server reaches on its own (a socket's close seen), checking every 10 ms. */
async function until (done: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not reached within ' + String(timeoutMs) + ' ms')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
