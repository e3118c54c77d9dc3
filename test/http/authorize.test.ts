/**
 * The in-process auth routes (`authorize` option): form and JSON bodies, what each channel kind answers,
 * refusals, validation before any signature, the host's hooks and parsers, and the option's validation.
 */
import t from 'tap'
import Fastify, { type FastifyRequest } from 'fastify'
import broadcastt, { type AuthorizeOptions } from '../../src/index.js'
import { MASTER_KEY, sdk } from '../clients/auth-endpoint.js'
import { startServer, TEST_APP } from '../helpers/server.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** What the test host's session hook sets (the example app calls it `user`). */
    account?: { id: string, name: string }
  }
}

const APP = { ...TEST_APP, encryptionMasterKey: MASTER_KEY }

/** The test host: a session hook sets request.account from an `x-user` header; the callbacks use it. */
const authorize: AuthorizeOptions = {
  channel: (request, { channel, kind }) => {
    if (request.account === undefined || channel.endsWith('-forbidden')) return false
    return kind === 'presence' ? { user_id: request.account.id, user_info: { name: request.account.name } } : true
  },
  user: (request) => request.account === undefined ? false : { id: request.account.id, user_info: { name: request.account.name } }
}

function sessionHook (request: FastifyRequest): void {
  const id = request.headers['x-user']
  if (typeof id === 'string') request.account = { id, name: id.toUpperCase() }
}

async function server (t: Parameters<typeof startServer>[0], options: AuthorizeOptions = authorize) {
  const s = await startServer(t, { apps: [APP], authorize: options }, (app) => {
    app.addHook('onRequest', async (request) => { sessionHook(request) })
  })
  const post = async (path: string, body: string | Record<string, unknown>, headers: Record<string, string> = {}) => {
    const form = typeof body !== 'string' || !body.startsWith('{')
    const response = await fetch(`http://127.0.0.1:${s.port}${path}`, {
      method: 'POST',
      headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json', ...headers },
      body: typeof body === 'string' ? body : new URLSearchParams(body as Record<string, string>).toString()
    })
    return { status: response.status, headers: response.headers, json: await response.json() as Record<string, unknown> }
  }
  return { ...s, post }
}

const ann = { 'x-user': 'ann' }

t.test('form-encoded (pusher-js, Echo) and JSON (broadcastt-js) bodies get what the SDK signs', async (t) => {
  const s = await server(t)
  const signer = sdk()
  const form = await s.post('/broadcasting/auth', { socket_id: '1.2', channel_name: 'private-orders', extra: 'ignored' }, ann)
  t.equal(form.status, 200)
  t.same(form.json, signer.authorizeChannel('1.2', 'private-orders'))
  t.equal(form.headers.get('cache-control'), 'no-store', 'a signature is never cached')
  t.match(form.headers.get('content-type'), /^application\/json/)
  const json = await s.post('/broadcasting/auth', JSON.stringify({ socket_id: '1.2', channel_name: 'private-orders' }), ann)
  t.same(json.json, form.json)

  const presence = await s.post('/broadcasting/auth', { socket_id: '3.4', channel_name: 'presence-room' }, ann)
  t.same(presence.json, signer.authorizeChannel('3.4', 'presence-room', { user_id: 'ann', user_info: { name: 'ANN' } }),
    'presence: channel_data is the member the callback returned, from the host\'s request.account')
  const encrypted = await s.post('/broadcasting/auth', { socket_id: '5.6', channel_name: 'private-encrypted-vault' }, ann)
  t.same(encrypted.json, signer.authorizeChannel('5.6', 'private-encrypted-vault'), 'encrypted: shared_secret')
  t.type(encrypted.json.shared_secret, 'string')

  const user = await s.post('/broadcasting/user-auth', { socket_id: '7.8' }, ann)
  t.equal(user.status, 200)
  t.same(user.json, signer.authenticateUser('7.8', { id: 'ann', user_info: { name: 'ANN' } }))
  const userJson = await s.post('/broadcasting/user-auth', JSON.stringify({ socket_id: '7.8' }), ann)
  t.same(userJson.json, user.json)
})

t.test('the callbacks decide: false is 403, with the plugin\'s error format', async (t) => {
  const s = await server(t)
  const anonymous = await s.post('/broadcasting/auth', { socket_id: '1.2', channel_name: 'private-orders' })
  t.equal(anonymous.status, 403)
  t.same(anonymous.json, {
    statusCode: 403, code: 'FST_BROADCASTT_AUTHORIZATION_DENIED', error: 'Forbidden', message: 'Not allowed to subscribe to private-orders'
  })
  t.equal((await s.post('/broadcasting/auth', { socket_id: '1.2', channel_name: 'private-forbidden' }, ann)).status, 403)
  const user = await s.post('/broadcasting/user-auth', { socket_id: '1.2' })
  t.match(user, { status: 403, json: { code: 'FST_BROADCASTT_AUTHORIZATION_DENIED' } })
})

t.test('malformed requests get 400 before the callback runs, never a signature', async (t) => {
  let calls = 0
  const s = await server(t, { channel: () => { calls++; return true }, user: () => { calls++; return { id: '1' } } })
  const bad: Array<[string, string | Record<string, string>]> = [
    ['/broadcasting/auth', { channel_name: 'private-a' }],
    ['/broadcasting/auth', { socket_id: '1.2' }],
    ['/broadcasting/auth', { socket_id: 'abc', channel_name: 'private-a' }],
    ['/broadcasting/auth', { socket_id: '1.2:private-b', channel_name: 'private-a' }],
    ['/broadcasting/auth', { socket_id: '1.2', channel_name: 'private-a:b' }],
    ['/broadcasting/auth', { socket_id: '1.2', channel_name: 'private-' + 'x'.repeat(300) }],
    ['/broadcasting/auth', { socket_id: '1.2', channel_name: 'public-news' }],
    ['/broadcasting/auth', { socket_id: '1.2', channel_name: '#server-to-user-1' }],
    ['/broadcasting/auth', 'socket_id=1.2&socket_id=3.4&channel_name=private-a'],
    ['/broadcasting/auth', '{"socket_id":1.2,"channel_name":"private-a"}'],
    ['/broadcasting/auth', '{"socket_id":"1.2","channel_name":["private-a"]}'],
    ['/broadcasting/auth', '["1.2","private-a"]'],
    ['/broadcasting/auth', ''],
    ['/broadcasting/user-auth', { socket_id: '1.2.3' }],
    ['/broadcasting/user-auth', '{"socket_id":null}']
  ]
  for (const [path, body] of bad) {
    const response = await s.post(path, body)
    t.equal(response.status, 400, `${path} ${JSON.stringify(body)}`)
    t.equal(response.json.code, 'FST_BROADCASTT_INVALID_REQUEST')
    t.notOk('auth' in response.json)
  }
  const badJson = await s.post('/broadcasting/auth', '{"socket_id":')
  t.equal(badJson.status, 400, 'broken JSON is the host parser\'s 400')
  t.equal(calls, 0, 'no callback ran')
  const big = await s.post('/broadcasting/auth', { socket_id: '1.2', channel_name: 'private-a', pad: 'x'.repeat(20000) })
  t.equal(big.status, 413, 'bodies are capped (16 KiB by default)')
})

t.test('a callback that returns the wrong shape is a logged 500, not a signature', async (t) => {
  const s = await server(t, {
    // @ts-expect-error: a string is not an authorization
    channel: (_request, { channel }) => channel === 'private-str' ? 'yes' : true,
    // @ts-expect-error: a user needs an id
    user: () => ({ name: 'x' })
  })
  t.match(await s.post('/broadcasting/auth', { socket_id: '1.2', channel_name: 'presence-a' }),
    { status: 500, json: { code: 'FST_BROADCASTT_INVALID_AUTHORIZATION', message: /user_id/ } }, 'presence needs a member')
  t.match(await s.post('/broadcasting/auth', { socket_id: '1.2', channel_name: 'private-str' }),
    { status: 500, json: { code: 'FST_BROADCASTT_INVALID_AUTHORIZATION' } })
  t.match(await s.post('/broadcasting/user-auth', { socket_id: '1.2' }),
    { status: 500, json: { code: 'FST_BROADCASTT_INVALID_AUTHORIZATION' } })
})

t.test('an encrypted channel of an app without a master key is a 500 naming the option', async (t) => {
  const s = await startServer(t, { authorize: { channel: () => true } })
  const response = await fetch(`http://127.0.0.1:${s.port}/broadcasting/auth`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"socket_id":"1.2","channel_name":"private-encrypted-a"}'
  })
  t.equal(response.status, 500)
  t.match(await response.json(), { code: 'FST_BROADCASTT_NO_ENCRYPTION_KEY', message: /encryptionMasterKey/ })
})

t.test('the host\'s hooks, error handler and parsers', async (t) => {
  const app = Fastify()
  const order: string[] = []
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => { void reply.code(error.statusCode ?? 500).send({ host: true, message: error.message }) })
  await app.register(broadcastt, {
    apps: [APP],
    authorize: {
      path: '/rt/auth',
      onRequest: async () => { order.push('route onRequest') },
      channel: (request) => { order.push('channel'); return request.account !== undefined }
    }
  })
  // Added after the plugin: it still runs before the auth route, as host hooks do.
  app.addHook('preHandler', async (request, reply) => {
    order.push('host preHandler')
    if (request.headers['x-csrf-token'] !== 'token') return await reply.code(419).send({ message: 'CSRF token mismatch' })
    sessionHook(request)
  })
  app.post('/host-form', async (request) => request.body)
  t.teardown(() => app.close())
  const inject = (headers: Record<string, string>) => app.inject({
    method: 'POST', url: '/rt/auth', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: 'socket_id=1.2&channel_name=private-a'
  })
  t.equal((await inject({ 'x-user': 'ann' })).statusCode, 419, 'the host\'s CSRF check answers first')
  t.same(order, ['route onRequest', 'host preHandler'])
  order.length = 0
  const ok = await inject({ 'x-user': 'ann', 'x-csrf-token': 'token' })
  t.equal(ok.statusCode, 200)
  t.same(order, ['route onRequest', 'host preHandler', 'channel'])
  const csrf = { 'x-csrf-token': 'token' }
  t.equal((await app.inject({ method: 'POST', url: '/broadcasting/auth', headers: csrf })).statusCode, 404, 'the default path is not served')
  t.equal((await app.inject({ method: 'POST', url: '/broadcasting/user-auth', headers: csrf })).statusCode, 404, 'no user callback, no user route')

  const hostForm = await app.inject({ method: 'POST', url: '/host-form', headers: { 'content-type': 'application/x-www-form-urlencoded', ...csrf }, payload: 'a=1' })
  t.equal(hostForm.statusCode, 415, 'the form parser stays inside the auth routes')
  t.same(hostForm.json(), { host: true, message: 'Unsupported Media Type' }, 'host errors keep the host\'s handler')
})

t.test('a host that parses forms itself keeps its parser', async (t) => {
  const app = Fastify()
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, { ...Object.fromEntries(new URLSearchParams(body as string)), parsedBy: 'host' })
  })
  let seen: unknown
  await app.register(broadcastt, { apps: [APP], authorize: { channel: (request) => { seen = request.body; return true } } })
  t.teardown(() => app.close())
  const response = await app.inject({
    method: 'POST', url: '/broadcasting/auth', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'socket_id=1.2&channel_name=private-a'
  })
  t.equal(response.statusCode, 200)
  t.match(seen, { parsedBy: 'host' })
})

t.test('which app: the only one, a fixed appId, or one per request', async (t) => {
  const other = { id: 'other', key: 'other-key', secret: 'other-secret' }
  const app = Fastify()
  await app.register(broadcastt, {
    apps: [APP, other],
    authorize: { appId: (request) => String(request.headers['x-app'] ?? APP.id), channel: () => true }
  })
  t.teardown(() => app.close())
  const ask = async (appHeader?: string) => await app.inject({
    method: 'POST', url: '/broadcasting/auth', payload: { socket_id: '1.2', channel_name: 'private-a' }, headers: appHeader === undefined ? {} : { 'x-app': appHeader }
  })
  t.equal((await ask()).json().auth.split(':')[0], APP.key)
  t.equal((await ask('other')).json().auth.split(':')[0], 'other-key')
  t.match((await ask('missing')).json(), { statusCode: 404, code: 'FST_BROADCASTT_UNKNOWN_APP' })
})

t.test('the authorize option is validated at register time, naming the path', async (t) => {
  const apps = [APP]
  const cases: Array<[unknown, RegExp]> = [
    [{ apps, authorize: 'yes' }, /^options\.authorize: Expected object$/],
    [{ apps, authorize: {} }, /^options\.authorize: give a channel callback, a user callback or both$/],
    [{ apps, authorize: { channel: true } }, /^options\.authorize\.channel: Expected function$/],
    [{ apps, authorize: { user: () => false, onRequest: [1] } }, /^options\.authorize\.onRequest: Expected function$/],
    [{ apps, authorize: { channel: () => true, path: 'auth' } }, /^options\.authorize\.path: /],
    [{ apps, authorize: { channel: () => true, path: '/a', userPath: '/a' } }, /^options\.authorize\.userPath: must differ from path$/],
    [{ apps, authorize: { channel: () => true, appId: 'nope' } }, /^options\.authorize\.appId: no app has the id "nope"$/],
    [{ apps, authorize: { channel: () => true, bodyLimit: 1 } }, /^options\.authorize\.bodyLimit: /],
    [{ apps, authorize: { channel: () => true, extra: 1 } }, /^options\.authorize/],
    [{ apps: [APP, { id: 'b', key: 'b', secret: 'b' }], authorize: { channel: () => true } },
      /^options\.authorize\.appId: required when there is not exactly one app$/]
  ]
  for (const [options, message] of cases) {
    const app = Fastify()
    // @ts-expect-error: deliberately wrong options
    const error = await app.register(broadcastt, options).ready().then(() => undefined, (err: Error) => err)
    t.match(error, { code: 'FST_BROADCASTT_INVALID_OPTIONS', message }, message.source)
    await app.close()
  }
})
