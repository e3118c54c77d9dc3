/**
 * fastify.broadcastt.authorizeChannel / authenticateUser give the same bytes as the `pusher` SDK's
 * authorizeChannel / authenticateUser on the same inputs, encrypted channels included.
 */
import t from 'tap'
import Fastify from 'fastify'
import PusherServer from 'pusher'
import broadcastt from '../../src/index.js'
import { MASTER_KEY } from '../clients/auth-endpoint.js'

const APP = { id: 'app-1', key: 'key-1', secret: 'secret-1', encryptionMasterKey: MASTER_KEY }

async function plugin (t: { teardown (fn: () => unknown): void }, apps: Array<typeof APP | Omit<typeof APP, 'encryptionMasterKey'>> = [APP]) {
  const app = Fastify()
  await app.register(broadcastt, { apps })
  t.teardown(() => app.close())
  return app.broadcastt
}

const sdk = new PusherServer({
  appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', encryptionMasterKeyBase64: MASTER_KEY
})

t.test('channel authorizations are byte for byte the SDK\'s', async (t) => {
  const api = await plugin(t)
  const cases: Array<[string, string, { user_id: string | number, user_info?: unknown }?]> = [
    ['1234.1234', 'private-foobar'],
    ['99.1', 'private-cache-orders'],
    ['8721.33099871', 'presence-room', { user_id: '7', user_info: { name: 'Ann', tags: ['a', 'ü'] } }],
    ['1.2', 'presence-cache-lobby', { user_id: 42 }],
    ['5.6', 'private-encrypted-secrets'],
    ['5.6', 'private-encrypted-cache-vault'],
    ['7.8', 'private-encrypted-x', { user_id: 'u' }]
  ]
  for (const [socketId, channel, member] of cases) {
    const ours = api.authorizeChannel(APP.id, socketId, channel, member)
    const theirs = sdk.authorizeChannel(socketId, channel, member as { user_id: string } | undefined) // its types say string; it serializes any
    t.equal(JSON.stringify(ours), JSON.stringify(theirs), `${channel} ${socketId}`)
  }
  t.ok(api.authorizeChannel(APP.id, '5.6', 'private-encrypted-secrets').shared_secret, 'encrypted channels carry a shared_secret')
  t.notOk('shared_secret' in api.authorizeChannel(APP.id, '5.6', 'private-secrets'), 'no shared_secret elsewhere')
  t.equal(api.authorizeChannel(APP.id, '1234.1234', 'private-foobar').auth,
    `${APP.key}:${sdk.authorizeChannel('1234.1234', 'private-foobar').auth.split(':')[1] ?? ''}`)
})

t.test('the PROTOCOL.md test vector', async (t) => {
  const api = await plugin(t, [{ id: 'v', key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' }])
  t.same(api.authorizeChannel('v', '1234.1234', 'private-foobar'),
    { auth: '278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4' })
})

t.test('user authentications are byte for byte the SDK\'s', async (t) => {
  const api = await plugin(t)
  const users = [
    { id: '7' },
    { id: 'ann', user_info: { name: 'Ann "the" admin', emoji: '✓' } },
    { id: '9', user_info: { name: 'Bob' }, watchlist: ['1', '2'] }
  ]
  for (const user of users) {
    t.equal(JSON.stringify(api.authenticateUser(APP.id, '123.456', user)),
      JSON.stringify(sdk.authenticateUser('123.456', user)), user.id)
  }
})

t.test('bad inputs are refused with coded errors, never signed', async (t) => {
  const api = await plugin(t, [APP, { id: 'plain', key: 'k2', secret: 's2' }])
  t.throws(() => api.authorizeChannel('nope', '1.1', 'private-a'), { code: 'FST_BROADCASTT_UNKNOWN_APP', statusCode: 404 })
  for (const socketId of ['', '1', '1.', 'a.b', '1.1\n', '1.1:private-x', '-1.1']) {
    t.throws(() => api.authorizeChannel(APP.id, socketId, 'private-a'), { code: 'FST_BROADCASTT_INVALID_REQUEST', statusCode: 400 }, JSON.stringify(socketId))
    t.throws(() => api.authenticateUser(APP.id, socketId, { id: '1' }), { code: 'FST_BROADCASTT_INVALID_REQUEST' })
  }
  for (const channel of ['', 'private-a:b', 'private-' + 'x'.repeat(200), 'private a', '#private-x']) {
    t.throws(() => api.authorizeChannel(APP.id, '1.1', channel), { code: 'FST_BROADCASTT_INVALID_REQUEST' }, JSON.stringify(channel))
  }
  t.throws(() => api.authorizeChannel('plain', '1.1', 'private-encrypted-a'),
    { code: 'FST_BROADCASTT_NO_ENCRYPTION_KEY', statusCode: 500, message: /plain/ })
  t.throws(() => api.authorizeChannel(APP.id, '1.1', 'presence-a', { user_id: '' }), { code: 'FST_BROADCASTT_INVALID_AUTHORIZATION' })
  t.throws(() => api.authenticateUser(APP.id, '1.1', { id: '' }), { code: 'FST_BROADCASTT_INVALID_AUTHORIZATION' })
  // @ts-expect-error: a watchlist of numbers
  t.throws(() => api.authenticateUser(APP.id, '1.1', { id: '1', watchlist: [1] }), { code: 'FST_BROADCASTT_INVALID_AUTHORIZATION' })
})

t.test('encryptionMasterKey must be 32 bytes in base64', async (t) => {
  for (const key of ['', 'not base64', Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64'), Buffer.alloc(32).toString('hex')]) {
    const app = Fastify()
    const error = await app.register(broadcastt, { apps: [{ ...APP, encryptionMasterKey: key }] }).ready()
      .then(() => undefined, (err: Error) => err)
    t.match(error, { code: 'FST_BROADCASTT_INVALID_OPTIONS', message: /^options\.apps\[0\]\.encryptionMasterKey: / }, JSON.stringify(key))
    t.notMatch(String(error), key === '' ? /^$/ : key, 'the key is not echoed')
    await app.close()
  }
})
