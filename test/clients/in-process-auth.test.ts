/**
 * Real clients against the plugin's own auth routes (`authorize` option), no `pusher` SDK in the host:
 * pusher-js (form bodies, its userAuthentication endpoint, encrypted channels), Laravel Echo (headers and a
 * CSRF token checked by a host hook) and a broadcastt-js-style client (JSON bodies).
 */
import t from 'tap'
import Echo from 'laravel-echo'
import nacl from 'tweetnacl'
import type { Channel, PresenceChannel } from 'pusher-js'
import type { FastifyInstance } from 'fastify'
import { channelSharedSecret } from '../../src/auth/encryption.js'
import type { AuthorizeOptions } from '../../src/index.js'
import { localServerOptions, Pusher } from '../helpers/pusher-js.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { MASTER_KEY } from './auth-endpoint.js'

type Teardown = { teardown (fn: () => unknown): void }
interface Session { id: string, name: string }

/** The host: a bearer token names the user (standing in for a session or JWT); a CSRF check on POSTs. */
function host (app: FastifyInstance): void {
  app.decorateRequest('session', null)
  app.addHook('onRequest', async (request) => {
    const token = /^Bearer (\w+)$/.exec(request.headers.authorization ?? '')?.[1]
    ;(request as unknown as { session: Session | null }).session = token === undefined ? null : { id: token, name: token.toUpperCase() }
  })
  app.addHook('preHandler', async (request, reply) => {
    if (request.method === 'POST' && request.headers['x-csrf-token'] !== 'csrf-ok') {
      return await reply.code(419).send({ message: 'CSRF token mismatch' })
    }
  })
}

const sessionOf = (request: unknown): Session | null => (request as { session: Session | null }).session

const authorize: AuthorizeOptions = {
  path: '/broadcasting/auth',
  channel: (request, { channel, kind }) => {
    const user = sessionOf(request)
    if (user === null) return false
    if (kind === 'presence') return { user_id: user.id, user_info: { id: user.id, name: user.name } }
    return channel !== `private-user.${user.id === 'ann' ? 'bob' : 'ann'}`
  },
  user: (request) => {
    const user = sessionOf(request)
    return user === null ? false : { id: user.id, user_info: { name: user.name } }
  }
}

async function server (t: Teardown): Promise<TestServer> {
  return await startServer(t, { apps: [{ ...TEST_APP, encryptionMasterKey: MASTER_KEY }], authorize }, host)
}

function pusher (t: Teardown, s: TestServer, user: string | null): Pusher {
  const headers = { 'X-CSRF-Token': 'csrf-ok', ...(user === null ? {} : { Authorization: `Bearer ${user}` }) }
  const client = new Pusher(TEST_APP.key, {
    ...localServerOptions(s.port),
    channelAuthorization: { endpoint: `http://127.0.0.1:${s.port}/broadcasting/auth`, transport: 'ajax', headers },
    userAuthentication: { endpoint: `http://127.0.0.1:${s.port}/broadcasting/user-auth`, transport: 'ajax', headers }
  })
  t.teardown(() => { client.disconnect() })
  return client
}

function subscribed<C extends Channel = Channel> (client: Pusher, name: string): Promise<C> {
  return new Promise((resolve, reject) => {
    const channel = client.subscribe(name) as C
    channel.bind('pusher:subscription_succeeded', () => { resolve(channel) })
    channel.bind('pusher:subscription_error', (error: unknown) => { reject(Object.assign(new Error('subscription_error'), { data: error })) })
  })
}

const once = <T = unknown>(target: Channel | Pusher['user'], event: string): Promise<T> =>
  new Promise((resolve) => { target.bind(event, (data: T) => { resolve(data) }) })

t.test('pusher-js: private and presence channels, refusals as subscription errors', async (t) => {
  const s = await server(t)
  const ann = pusher(t, s, 'ann')
  const own = await subscribed(ann, 'private-user.ann')
  const got = once(own, 'hello')
  await s.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['private-user.ann'], name: 'hello', data: { to: 'ann' } })
  t.same(await got, { to: 'ann' })
  const refused = await subscribed(ann, 'private-user.bob').then(() => undefined, (err: { data: unknown }) => err.data)
  t.match(refused, { type: 'AuthError', status: 403 }, 'the callback said no: pusher-js reports the 403')

  const room = await subscribed<PresenceChannel>(ann, 'presence-room')
  const added = once<{ id: string, info: unknown }>(room, 'pusher:member_added')
  const bob = pusher(t, s, 'bob')
  const bobRoom = await subscribed<PresenceChannel>(bob, 'presence-room')
  t.same(await added, { id: 'bob', info: { id: 'bob', name: 'BOB' } })
  t.same(Object.keys(bobRoom.members.members as object).sort(), ['ann', 'bob'])

  const anonymous = pusher(t, s, null)
  const noSession = await subscribed(anonymous, 'private-user.ann').then(() => undefined, (err: { data: unknown }) => err.data)
  t.match(noSession, { status: 403 }, 'no session, no subscription')
})

t.test('pusher-js: encrypted channel with the derived shared_secret; sign-in on the user route', async (t) => {
  const s = await server(t)
  const ann = pusher(t, s, 'ann')
  const name = 'private-encrypted-vault'
  const channel = await subscribed(ann, name)
  const got = once(channel, 'secret')
  const nonce = nacl.randomBytes(24)
  const key = channelSharedSecret(Buffer.from(MASTER_KEY, 'base64'), name)
  const box = nacl.secretbox(Buffer.from(JSON.stringify({ pin: 1234 })), nonce, key)
  const data = JSON.stringify({ nonce: Buffer.from(nonce).toString('base64'), ciphertext: Buffer.from(box).toString('base64') })
  await s.app.broadcastt.trigger({ appId: TEST_APP.id, channels: [name], name: 'secret', data })
  t.same(await got, { pin: 1234 }, 'pusher-js decrypted with the secret the route handed out')

  ann.signin()
  await ann.user.signinDonePromise
  const userChannel = ann.user.serverToUserChannel
  if (userChannel === null) throw new Error('sign-in failed')
  if (!userChannel.subscribed) await once(userChannel, 'pusher:subscription_succeeded')
  const direct = once(ann.user, 'note')
  await s.app.broadcastt.sendToUser(TEST_APP.id, 'ann', 'note', { hi: 1 })
  t.same(await direct, { hi: 1 }, 'signed in as ann through the user route')
})

t.test('Laravel Echo: authEndpoint with headers and the CSRF token', async (t) => {
  const s = await server(t)
  const echo = (user: string, csrf = 'csrf-ok') => {
    const instance = new Echo({
      broadcaster: 'pusher',
      Pusher: Pusher as never,
      key: TEST_APP.key,
      ...localServerOptions(s.port),
      authEndpoint: `http://127.0.0.1:${s.port}/broadcasting/auth`,
      auth: { headers: { 'X-CSRF-TOKEN': csrf, Authorization: `Bearer ${user}` } }
    })
    t.teardown(() => { instance.disconnect() })
    return instance
  }
  const here = new Promise<unknown>((resolve) => { echo('ann').join('lobby').here(resolve) })
  t.same(await here, [{ id: 'ann', name: 'ANN' }])
  const refused = new Promise<unknown>((resolve) => { echo('bob', 'stale').private('user.bob').error(resolve) })
  t.match(await refused, { status: 419 }, 'a bad CSRF token is refused by the host before any signature')
})

t.test('broadcastt-js: JSON body, answer spread into the subscribe', async (t) => {
  const s = await server(t)
  const client = await open(t, s.wsUrl(TEST_APP.key, '', 'apps'))
  const response = await fetch(`http://127.0.0.1:${s.port}/broadcasting/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ann', 'x-csrf-token': 'csrf-ok' },
    body: JSON.stringify({ socket_id: client.socketId, channel_name: 'presence-room' })
  })
  t.equal(response.status, 200)
  const reply = await client.subscribe('presence-room', 'broadcastt', await response.json() as Record<string, unknown>)
  t.equal(reply.event, 'broadcastt_internal:subscription_succeeded')
  t.same(reply.json, { presence: { ids: ['ann'], hash: { ann: { id: 'ann', name: 'ANN' } }, count: 1 } })
})
