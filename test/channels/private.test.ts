import t from 'tap'
import { signChannel } from '../../src/auth/channel-auth.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { APP, joined, privateAuth } from './helpers.js'

const KINDS = ['private-room', 'private-encrypted-room', 'private-cache-room', 'private-encrypted-cache-room']

t.test('a valid signature subscribes to private and encrypted channels, in both dialects', async (t) => {
  const server = await startServer(t)
  for (const [prefix, query] of [['pusher', 'protocol=7'], ['broadcastt', '']] as const) {
    const client = await open(t, server.wsUrl(TEST_APP.key, query))
    for (const channel of KINDS) {
      const reply = await client.subscribe(channel, prefix, privateAuth(client, channel))
      t.equal(reply.event, `${prefix}_internal:subscription_succeeded`, `${prefix} ${channel}`)
      t.equal(reply.data, '{}')
    }
    t.equal((await server.app.broadcastt.channel(TEST_APP.id, 'private-room')).subscriptionCount, prefix === 'pusher' ? 1 : 2)
  }
})

t.test('bad or missing auth: subscription_error AuthError 401, not subscribed, no events', async (t) => {
  const server = await startServer(t)
  const client = await open(t, server.wsUrl())
  const other = await open(t, server.wsUrl())
  const channel = 'private-secret'
  const good = signChannel(APP, client.socketId, channel)
  const hex = good.split(':')[1] ?? ''
  const cases: Array<[string, Record<string, unknown>]> = [
    ['no auth', {}],
    ['empty auth', { auth: '' }],
    ['signed for another socket', { auth: signChannel(APP, other.socketId, channel) }],
    ['signed for another channel', { auth: signChannel(APP, client.socketId, 'private-other') }],
    ['another app key', { auth: `other-key:${hex}` }],
    ['no key', { auth: hex }],
    ['wrong secret', { auth: signChannel({ key: APP.key, secret: 'nope' }, client.socketId, channel) }],
    ['truncated signature', { auth: good.slice(0, -2) }],
    ['tampered signature', { auth: `${APP.key}:${hex.replace(/[0-9]/g, 'f')}` }],
    ['presence-style signature', { auth: signChannel(APP, client.socketId, channel, '{"user_id":"1"}'), channel_data: '{"user_id":"1"}' }]
  ]
  for (const kind of [channel, 'private-encrypted-secret']) {
    for (const [name, extra] of cases) {
      const reply = await client.subscribe(kind, 'pusher', extra)
      t.equal(reply.event, 'pusher:subscription_error', `${kind}: ${name}`)
      t.equal(reply.channel, kind)
      t.match(reply.json, { type: 'AuthError', status: 401, error: String })
    }
  }
  t.same(await server.app.broadcastt.channel(TEST_APP.id, channel), { occupied: false, subscriptionCount: 0 })
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: [channel], name: 'leak', data: {} })
  t.same(await client.settle(), [], 'a refused connection gets no events of the channel')
  t.equal(client.ws.readyState, client.ws.OPEN, 'the connection stays open')
})

t.test('encrypted channels relay the ciphertext untouched and refuse client events (4301)', async (t) => {
  const server = await startServer(t)
  const a = await open(t, server.wsUrl())
  const b = await open(t, server.wsUrl(TEST_APP.key, ''))
  const channel = 'private-encrypted-vault'
  await joined(a, channel, privateAuth(a, channel))
  await joined(b, channel, privateAuth(b, channel), 'broadcastt')
  const payload = JSON.stringify({ nonce: 'bm9uY2U=', ciphertext: 'Y2lwaGVy' })
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: [channel], name: 'secret', data: payload })
  t.equal((await a.next('secret')).data, payload, 'pusher client: the exact ciphertext string')
  t.equal((await b.next('secret')).data, payload, 'broadcastt client: the exact ciphertext string')

  a.send('client-whisper', { text: 'hi' }, channel)
  t.match((await a.next('pusher:error')).json, { code: 4301 })
  t.same(await b.settle('broadcastt'), [], 'nothing was forwarded')
  t.equal(a.ws.readyState, a.ws.OPEN)
})
