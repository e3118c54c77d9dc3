import t from 'tap'
import { signChannel, signUser } from '../../src/auth/channel-auth.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open, type TestClient } from '../helpers/ws-client.js'
import { APP, joined, signinData, presenceAuth } from '../channels/helpers.js'

const signedIn = async (client: TestClient, user: Record<string, unknown>, prefix = 'pusher') => {
  const data = signinData(client, user)
  client.send(`${prefix}:signin`, data)
  const reply = await client.next(`${prefix}:signin_success`)
  return { reply, data }
}

t.test('sign-in succeeds in both dialects and echoes user_data', async (t) => {
  const server = await startServer(t)
  const signins: unknown[] = []
  server.app.broadcastt.on('user_signed_in', (e) => { signins.push(e) })
  for (const [prefix, query] of [['pusher', 'protocol=7'], ['broadcastt', '']] as const) {
    const client = await open(t, server.wsUrl(TEST_APP.key, query))
    const { reply, data } = await signedIn(client, { id: '7', user_info: { name: 'Ann' } }, prefix)
    t.same(reply.json, { user_data: data.user_data }, prefix)
    t.same(await client.settle(prefix), [])
    // Signing in again as the same user is harmless.
    const again = await signedIn(client, { id: '7', user_info: { name: 'Ann' } }, prefix)
    t.same(again.reply.json, { user_data: again.data.user_data })
  }
  t.equal(signins.length, 2, 'one hook event per connection')
})

t.test('a failed sign-in gets error 4009 and is closed', async (t) => {
  const server = await startServer(t)
  const other = await open(t, server.wsUrl())
  const cases: Array<[string, (c: TestClient) => unknown]> = [
    ['no data', () => undefined],
    ['no auth', (c) => ({ user_data: signinData(c, { id: '1' }).user_data })],
    ['bad signature', (c) => ({ ...signinData(c, { id: '1' }), auth: `${APP.key}:${'0'.repeat(64)}` })],
    ['signed for another socket', (c) => ({ ...signinData(c, { id: '1' }), auth: signUser(APP, other.socketId, '{"id":"1"}') })],
    ['signed user_data differs', (c) => ({ auth: signinData(c, { id: '1' }).auth, user_data: '{"id":"2"}' })],
    ['user_data not JSON', (c) => ({ auth: signUser(APP, c.socketId, 'me'), user_data: 'me' })],
    ['no id', (c) => signinData(c, { user_info: {} })],
    ['empty id', (c) => signinData(c, { id: '' })],
    ['numeric id', (c) => signinData(c, { id: 7 })],
    ['user_data not a string', (c) => ({ auth: signUser(APP, c.socketId, '{"id":"1"}'), user_data: { id: '1' } })]
  ]
  for (const [name, data] of cases) {
    const client = await open(t, server.wsUrl())
    client.send('pusher:signin', data(client))
    const error = await client.next('pusher:error')
    t.match(error.json, { code: 4009, message: /sign|signin/i }, name)
    t.equal((await client.closed).code, 4009, `${name}: closed 4009`)
  }
})

t.test('signing in again as another user is refused with 4009', async (t) => {
  const server = await startServer(t)
  const client = await open(t, server.wsUrl())
  await signedIn(client, { id: 'a' })
  client.send('pusher:signin', signinData(client, { id: 'b' }))
  t.match((await client.next('pusher:error')).json, { code: 4009, message: /another user/ })
  t.equal((await client.closed).code, 4009)
})

t.test('#server-to-user-{id}: only its signed-in owner subscribes; events reach all its connections', async (t) => {
  const server = await startServer(t)
  const channel = '#server-to-user-7'
  const phone = await open(t, server.wsUrl())
  const laptop = await open(t, server.wsUrl(TEST_APP.key, ''))
  const stranger = await open(t, server.wsUrl())
  const anonymous = await open(t, server.wsUrl())
  await signedIn(phone, { id: '7' })
  await signedIn(laptop, { id: '7' }, 'broadcastt')
  await signedIn(stranger, { id: '8' })

  for (const [name, client] of [['another user', stranger], ['not signed in', anonymous]] as const) {
    const refused = await client.subscribe(channel)
    t.equal(refused.event, 'pusher:subscription_error', name)
    t.match(refused.json, { type: 'AuthError', status: 401 })
    const signed = await client.subscribe(channel, 'pusher', { auth: `${APP.key}:${'a'.repeat(64)}` })
    t.equal(signed.event, 'pusher:subscription_error', `${name}, even with an auth string`)
  }
  await joined(phone, channel)
  await joined(laptop, channel, {}, 'broadcastt')
  await server.app.broadcastt.sendToUser(TEST_APP.id, '7', 'notice', { hello: 'you' })
  t.same((await phone.next('notice')).json, { hello: 'you' })
  const onLaptop = await laptop.next('notice')
  t.same({ channel: onLaptop.channel, data: onLaptop.json }, { channel, data: { hello: 'you' } })
  t.same(await stranger.settle(), [])
  t.same(await anonymous.settle(), [])

  phone.send('client-x', {}, channel)
  t.match((await phone.next('pusher:error')).json, { code: 4301 }, 'no client events on a user channel')
  t.same(await laptop.settle('broadcastt'), [])
})

t.test('terminateUser closes every connection of the user with 4009, and only those', async (t) => {
  const server = await startServer(t)
  const a1 = await open(t, server.wsUrl())
  const a2 = await open(t, server.wsUrl(TEST_APP.key, ''))
  const b = await open(t, server.wsUrl())
  const anonymous = await open(t, server.wsUrl())
  await signedIn(a1, { id: 'a' })
  await signedIn(a2, { id: 'a' }, 'broadcastt')
  await signedIn(b, { id: 'b' })
  const room = 'presence-room'
  await joined(b, room, presenceAuth(b, room, 'b'))
  await joined(a1, room, presenceAuth(a1, room, 'a'))
  await b.next('pusher_internal:member_added')

  await server.app.broadcastt.terminateUser(TEST_APP.id, 'a')
  t.match((await a1.next('pusher:error')).json, { code: 4009 })
  t.match((await a2.next('broadcastt:error')).json, { code: 4009 })
  t.equal((await a1.closed).code, 4009)
  t.equal((await a2.closed).code, 4009)
  t.same((await b.next('pusher_internal:member_removed')).json, { user_id: 'a' }, 'presence follows the closure')
  t.same(await b.settle(), [])
  t.same(await anonymous.settle(), [])
  await server.app.broadcastt.terminateUser(TEST_APP.id, 'nobody')
  t.equal(b.ws.readyState, b.ws.OPEN)
  const unknown = await server.app.broadcastt.terminateUser('no-app', 'a').catch((error: unknown) => error)
  t.match(unknown, { statusCode: 404, code: 'FST_BROADCASTT_UNKNOWN_APP' })
})

t.test('a signed-in connection joins presence without channel_data, as its user', async (t) => {
  const server = await startServer(t)
  const room = 'presence-room'
  const watcher = await open(t, server.wsUrl())
  await joined(watcher, room, presenceAuth(watcher, room, 'w'))
  const client = await open(t, server.wsUrl())
  await signedIn(client, { id: '42', user_info: { name: 'Zed' } })
  const wrong = await client.subscribe(room, 'pusher', { auth: signChannel(APP, client.socketId, room, '{"user_id":"42"}') })
  t.match(wrong.json, { type: 'AuthError' }, 'without channel_data the signature covers <socket_id>:<channel>')
  const reply = await joined(client, room, { auth: signChannel(APP, client.socketId, room) })
  t.same(reply.json, { presence: { ids: ['w', '42'], hash: { w: null, 42: { name: 'Zed' } }, count: 2 } })
  t.same((await watcher.next('pusher_internal:member_added')).json, { user_id: '42', user_info: { name: 'Zed' } })
})

t.test('authorized connections: off by default; when on, unauthorized connections close 4009 after the timeout', async (t) => {
  const server = await startServer(t, {
    clock: t.clock,
    apps: [TEST_APP, { id: 'strict', key: 'strict-key', secret: TEST_APP.secret, authorizedConnections: true }]
  })
  const lax = await open(t, server.wsUrl())
  const idle = await open(t, server.wsUrl('strict-key'))
  const publicOnly = await open(t, server.wsUrl('strict-key', ''))
  const signer = await open(t, server.wsUrl('strict-key'))
  const joiner = await open(t, server.wsUrl('strict-key'))
  await joined(publicOnly, 'news', {}, 'broadcastt')
  const strict = { key: 'strict-key', secret: TEST_APP.secret }
  signer.send('pusher:signin', { auth: signUser(strict, signer.socketId, '{"id":"s"}'), user_data: '{"id":"s"}' })
  await signer.next('pusher:signin_success')
  await joined(joiner, 'private-x', { auth: signChannel(strict, joiner.socketId, 'private-x') })

  t.clock.advance(29_000)
  t.same(await idle.settle(), [], 'still open before 30 s')
  t.clock.advance(1_000)
  t.match((await idle.next('pusher:error')).json, { code: 4009, message: /authorized/ })
  t.equal((await idle.closed).code, 4009)
  t.equal((await publicOnly.closed).code, 4009, 'a public subscription does not authorize')
  for (const client of [lax, signer, joiner]) t.same(await client.settle(), [], 'authorized or not required: open')
  t.clock.advance(60_000)
  t.equal(signer.ws.readyState, signer.ws.OPEN)
})

t.test('authorizationTimeout is configurable', async (t) => {
  const server = await startServer(t, {
    clock: t.clock,
    apps: [{ ...TEST_APP, authorizedConnections: true, authorizationTimeout: 5 }]
  })
  const idle = await open(t, server.wsUrl())
  t.clock.advance(4_000)
  t.same(await idle.settle(), [])
  t.clock.advance(1_000)
  t.equal((await idle.closed).code, 4009)
})
