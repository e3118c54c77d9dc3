/**
 * Laravel Echo 2 with pusher-js, configured the way a Laravel app does (`authEndpoint`, `auth.params`):
 * presence `here` / `joining` / `leaving`, whispers, and private-channel events.
 */
import t from 'tap'
import Echo from 'laravel-echo'
import { localServerOptions, Pusher } from '../helpers/pusher-js.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'
import { addAuthEndpoints } from './auth-endpoint.js'

interface Member { id: string, name: string }

function echo (t: { teardown (fn: () => unknown): void }, server: TestServer, user: string): Echo<'pusher'> {
  const instance = new Echo({
    broadcaster: 'pusher',
    Pusher: Pusher as never, // the CommonJS class (see ../helpers/pusher-js.ts)
    key: TEST_APP.key,
    ...localServerOptions(server.port),
    authEndpoint: `http://127.0.0.1:${server.port}/auth`,
    auth: { headers: {}, params: { user, name: user.toUpperCase() } }
  })
  t.teardown(() => { instance.disconnect() })
  return instance
}

t.test('presence: here, joining, leaving', async (t) => {
  const server = await startServer(t, {}, (app) => { addAuthEndpoints(app, { userInfo: (id, name) => ({ id, name }) }) })
  const ann = echo(t, server, 'ann')
  const joining: Member[] = []
  let onJoin: () => void = () => {}
  const here = new Promise<Member[]>((resolve) => {
    ann.join('lobby')
      .here(resolve)
      .joining((member: Member) => { joining.push(member); onJoin() })
  })
  t.same(await here, [{ id: 'ann', name: 'ANN' }], 'here lists the members, me included')

  const joined = new Promise<void>((resolve) => { onJoin = resolve })
  const bob = echo(t, server, 'bob')
  const bobHere = new Promise<Member[]>((resolve) => { bob.join('lobby').here(resolve) })
  t.same((await bobHere).map((m) => m.id).sort(), ['ann', 'bob'])
  await joined
  t.same(joining, [{ id: 'bob', name: 'BOB' }], 'joining fired once, for bob')

  const leaving = new Promise<Member>((resolve) => { ann.join('lobby').leaving(resolve) })
  bob.leave('lobby')
  t.same(await leaving, { id: 'bob', name: 'BOB' })
})

t.test('whispers on private and presence channels; private events with listen()', async (t) => {
  const server = await startServer(t, {}, (app) => { addAuthEndpoints(app, { userInfo: (id, name) => ({ id, name }) }) })
  const ann = echo(t, server, 'ann')
  const bob = echo(t, server, 'bob')
  const subscribed = (channel: { subscribed (cb: () => void): unknown }) =>
    new Promise<void>((resolve) => { channel.subscribed(resolve) })

  const annChat = ann.private('chat')
  const bobChat = bob.private('chat')
  const typing = new Promise<unknown>((resolve) => { bobChat.listenForWhisper('typing', resolve) })
  await Promise.all([subscribed(annChat), subscribed(bobChat)])
  annChat.whisper('typing', { name: 'ann' })
  t.same(await typing, { name: 'ann' }, 'whisper on a private channel')

  const order = new Promise<unknown>((resolve) => { annChat.listen('.OrderShipped', resolve) })
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['private-chat'], name: 'OrderShipped', data: { id: 9 } })
  t.same(await order, { id: 9 }, 'a backend event arrives through listen()')

  const annRoom = ann.join('room')
  const bobRoom = bob.join('room')
  const wave = new Promise<unknown>((resolve) => { annRoom.listenForWhisper('wave', resolve) })
  await Promise.all([subscribed(annRoom), subscribed(bobRoom)])
  bobRoom.whisper('wave', { hand: 'right' })
  t.same(await wave, { hand: 'right' }, 'whisper on a presence channel')
})
