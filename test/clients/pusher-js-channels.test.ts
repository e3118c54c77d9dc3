/**
 * pusher-js 8 (the Node build) against the server, as apps use it: private, presence and encrypted channels
 * authorized by a real auth endpoint written with the `pusher` SDK, client events, sign-in and user events.
 */
import t from 'tap'
import nacl from 'tweetnacl'
import type { Channel, PresenceChannel } from 'pusher-js'
import { localServerOptions, Pusher } from '../helpers/pusher-js.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'
import type PusherServer from 'pusher'
import { addAuthEndpoints, sdk } from './auth-endpoint.js'

type Teardown = { teardown (fn: () => unknown): void }

function client (t: Teardown, server: TestServer, user = 'anonymous', name = user, watchlist = ''): Pusher {
  const params = { user, name, watchlist }
  const pusher = new Pusher(TEST_APP.key, {
    ...localServerOptions(server.port),
    channelAuthorization: { endpoint: `http://127.0.0.1:${server.port}/auth`, transport: 'ajax', params },
    userAuthentication: { endpoint: `http://127.0.0.1:${server.port}/user-auth`, transport: 'ajax', params }
  })
  t.teardown(() => { pusher.disconnect() })
  return pusher
}

/** Resolves with the channel once subscribed; rejects with the subscription error. */
function subscribed<C extends Channel = Channel> (pusher: Pusher, name: string): Promise<C> {
  return new Promise((resolve, reject) => {
    const channel = pusher.subscribe(name) as C
    channel.bind('pusher:subscription_succeeded', () => { resolve(channel) })
    channel.bind('pusher:subscription_error', (error: unknown) => { reject(Object.assign(new Error('subscription_error'), { data: error })) })
  })
}

/** Signs in and waits until pusher-js has subscribed to its `#server-to-user-{id}` channel. */
async function signedIn (pusher: Pusher): Promise<void> {
  pusher.signin()
  await pusher.user.signinDonePromise
  const channel = pusher.user.serverToUserChannel
  if (channel === null) throw new Error('sign-in failed')
  if (!channel.subscribed) await once(channel, 'pusher:subscription_succeeded')
}

const once = <T = unknown>(channel: Channel | Pusher['user'], event: string): Promise<T> =>
  new Promise((resolve) => { channel.bind(event, (data: T) => { resolve(data) }) })

t.test('private channel through the auth endpoint; a forged signature is refused', async (t) => {
  const server = await startServer(t, {}, (app) => { addAuthEndpoints(app, { forge: ['private-forged'] }) })
  const pusher = client(t, server)
  const channel = await subscribed(pusher, 'private-orders')
  const got = once(channel, 'shipped')
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['private-orders'], name: 'shipped', data: { id: 1 } })
  t.same(await got, { id: 1 })

  const error = await subscribed(pusher, 'private-forged').catch((e: { data: unknown }) => e.data)
  t.match(error, { type: 'AuthError', status: 401 }, 'pusher-js reports the server\'s subscription_error')
  t.same(await server.app.broadcastt.channel(TEST_APP.id, 'private-forged'), { occupied: false, subscriptionCount: 0 })
})

t.test('presence: members, me, member_added and member_removed', async (t) => {
  const server = await startServer(t, {}, (app) => { addAuthEndpoints(app) })
  const ann = client(t, server, '1', 'Ann')
  const room = await subscribed<PresenceChannel>(ann, 'presence-lobby')
  t.equal(room.members.count, 1)
  t.same(room.members.me, { id: '1', info: { name: 'Ann' } })

  const added = once<{ id: string, info: unknown }>(room, 'pusher:member_added')
  const bob = client(t, server, '2', 'Bob')
  const bobRoom = await subscribed<PresenceChannel>(bob, 'presence-lobby')
  t.same(await added, { id: '2', info: { name: 'Bob' } })
  t.equal(bobRoom.members.count, 2)
  const seen: string[] = []
  bobRoom.members.each((member: { id: string }) => { seen.push(member.id) })
  t.same(seen.sort(), ['1', '2'])
  t.same(await server.app.broadcastt.channel(TEST_APP.id, 'presence-lobby'), { occupied: true, subscriptionCount: 2, userCount: 2 })

  const removed = once<{ id: string }>(room, 'pusher:member_removed')
  bob.unsubscribe('presence-lobby')
  t.same((await removed).id, '2')
  t.equal(room.members.count, 1)
})

t.test('client events between two pusher-js clients, with user_id on presence', async (t) => {
  const server = await startServer(t, {}, (app) => { addAuthEndpoints(app) })
  const ann = client(t, server, '1')
  const bob = client(t, server, '2')
  const [annPrivate, bobPrivate] = await Promise.all([subscribed(ann, 'private-chat'), subscribed(bob, 'private-chat')])
  const typing = once(bobPrivate, 'client-typing')
  t.equal(annPrivate.trigger('client-typing', { text: 'hi' }), true)
  t.same(await typing, { text: 'hi' })

  const [annRoom, bobRoom] = await Promise.all([
    subscribed<PresenceChannel>(ann, 'presence-chat'), subscribed<PresenceChannel>(bob, 'presence-chat')
  ])
  const wave = new Promise<[unknown, unknown]>((resolve) => {
    bobRoom.bind('client-wave', (data: unknown, metadata: unknown) => { resolve([data, metadata]) })
  })
  annRoom.trigger('client-wave', { hand: 'left' })
  t.same(await wave, [{ hand: 'left' }, { user_id: '1' }], 'pusher-js passes user_id as metadata')
})

t.test('encrypted channel: the SDK\'s shared secret decrypts what the server relayed untouched', async (t) => {
  const server = await startServer(t, {}, (app) => { addAuthEndpoints(app) })
  const pusher = client(t, server)
  const name = 'private-encrypted-vault'
  const channel = await subscribed(pusher, name)
  const got = once(channel, 'secret')
  // What the SDK's trigger does for an encrypted channel: nacl secretbox with the channel's shared secret.
  const nonce = nacl.randomBytes(24)
  const box = nacl.secretbox(Buffer.from(JSON.stringify({ pin: 1234 })), nonce, (sdk() as PusherServer & { channelSharedSecret (channel: string): Uint8Array }).channelSharedSecret(name))
  const data = JSON.stringify({ nonce: Buffer.from(nonce).toString('base64'), ciphertext: Buffer.from(box).toString('base64') })
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: [name], name: 'secret', data })
  t.same(await got, { pin: 1234 }, 'pusher-js decrypted the payload')

  const viaRest = once(channel, 'rest-secret')
  const response = await sdk(server.port).trigger(name, 'rest-secret', { pin: 5678 })
  t.equal(response.status, 200, 'the SDK encrypted and triggered over the REST API')
  t.same(await viaRest, { pin: 5678 }, 'pusher-js decrypted what the SDK encrypted')
})

/** The faye-websocket socket under a connected pusher-js client (pusher-js internals, for the timer below). */
function fayeSocket (p: Pusher): { _closeTimer?: NodeJS.Timeout } | undefined {
  return (p.connection as unknown as { connection?: { transport?: { socket?: { _closeTimer?: NodeJS.Timeout } } } })
    .connection?.transport?.socket
}

t.test('sign-in: signin(), the user channel, sendToUser and terminateUserConnections (SDK, REST)', async (t) => {
  const server = await startServer(t, {}, (app) => { addAuthEndpoints(app) })
  const phone = client(t, server, '7', 'Ann')
  const laptop = client(t, server, '7', 'Ann')
  const other = client(t, server, '8')
  // After signin_success pusher-js subscribes to #server-to-user-7 by itself.
  await Promise.all([phone, laptop, other].map(signedIn))
  t.equal((await server.app.broadcastt.channel(TEST_APP.id, '#server-to-user-7')).subscriptionCount, 2)
  const onPhone = once(phone.user, 'notice')
  const onLaptop = once(laptop.user, 'notice')
  await server.app.broadcastt.sendToUser(TEST_APP.id, '7', 'notice', { text: 'hello' })
  t.same(await onPhone, { text: 'hello' })
  t.same(await onLaptop, { text: 'hello' })
  const backend = sdk(server.port)
  const fromSdk = once(phone.user, 'from-sdk')
  t.equal((await backend.sendToUser('7', 'from-sdk', { n: 1 })).status, 200)
  t.same(await fromSdk, { n: 1 }, 'the SDK\'s sendToUser reaches the user')

  const closed = (p: Pusher) => new Promise<string>((resolve) => {
    p.connection.bind('state_change', (change: { current: string }) => { if (change.current !== 'connected') resolve(change.current) })
  })
  const closures = Promise.all([closed(phone), closed(laptop)])
  // pusher-js (its bundled faye-websocket) calls close() on the socket the server closed and leaves a 30 s
  // close timer behind, which would keep this file's process alive for 30 s: cleared once they are closed.
  const sockets = [fayeSocket(phone), fayeSocket(laptop)]
  t.ok(sockets.every((s) => s !== undefined), 'the sockets of the user\'s clients')
  const serverSide = new Promise<void>((resolve) => {
    let left = 2
    server.app.broadcastt.on('connection_closed', () => { if (--left === 0) resolve() })
  })
  t.equal((await backend.terminateUserConnections('7')).status, 200)
  t.same(await closures, ['disconnected', 'disconnected'], 'both connections of the user were closed')
  for (const socket of sockets) clearTimeout(socket?._closeTimer)
  t.equal(other.connection.state, 'connected', 'another user stays')
  await serverSide
  t.equal((await server.app.broadcastt.channel(TEST_APP.id, '#server-to-user-7')).subscriptionCount, 0)
})

t.test('the SDK\'s REST queries see presence user_count, the user list and the cache', async (t) => {
  const server = await startServer(t, {}, (app) => { addAuthEndpoints(app) })
  const backend = sdk(server.port)
  const [ann, bob, ann2] = [client(t, server, '1', 'Ann'), client(t, server, '2', 'Bob'), client(t, server, '1', 'Ann')]
  for (const p of [ann, bob, ann2]) await subscribed(p, 'presence-cache-room')
  const info = await (await backend.get({ path: '/channels/presence-cache-room', params: { info: 'user_count,subscription_count' } })).json()
  t.same(info, { occupied: true, user_count: 2, subscription_count: 3 })
  const users = await (await backend.get({ path: '/channels/presence-cache-room/users' })).json()
  t.same(users, { users: [{ id: '1' }, { id: '2' }] })
  const list = await (await backend.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } })).json()
  t.same(list, { channels: { 'presence-cache-room': { user_count: 2 } } })

  await backend.trigger('presence-cache-room', 'score', { home: 1 })
  const cached = await (await backend.get({ path: '/channels/presence-cache-room', params: { info: 'cache' } })).json() as
    { cache: { data: string, ttl: number } }
  t.equal(cached.cache.data, '{"home":1}')
  t.ok(cached.cache.ttl > 1790 && cached.cache.ttl <= 1800, 'about 30 minutes left')
  const late = client(t, server, '3')
  const channel = late.subscribe('presence-cache-room')
  t.same(await once(channel, 'score'), { home: 1 }, 'a late pusher-js subscriber gets the cached event')
})

t.test('watchlist: pusher-js user.watchlist hears online and offline', async (t) => {
  const server = await startServer(t, { apps: [{ ...TEST_APP, watchlist: true }] }, (app) => { addAuthEndpoints(app) })
  const watcher = client(t, server, 'w', 'W', 'friend')
  const heard: Array<{ name: string, user_ids: string[] }> = []
  let next: () => void = () => {}
  watcher.user.watchlist.bind('online', (e: { name: string, user_ids: string[] }) => { heard.push(e); next() })
  watcher.user.watchlist.bind('offline', (e: { name: string, user_ids: string[] }) => { heard.push(e); next() })
  await signedIn(watcher)
  const online = new Promise<void>((resolve) => { next = resolve })
  const friend = client(t, server, 'friend')
  await signedIn(friend)
  await online
  const offline = new Promise<void>((resolve) => { next = resolve })
  friend.disconnect()
  await offline
  t.same(heard, [{ name: 'online', user_ids: ['friend'] }, { name: 'offline', user_ids: ['friend'] }])
})
