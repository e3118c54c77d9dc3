import t from 'tap'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open, type TestClient } from '../helpers/ws-client.js'
import { joined, presenceAuth, privateAuth } from './helpers.js'

t.test('forwarded to the other subscribers in both dialects, never echoed', async (t) => {
  const server = await startServer(t)
  const hooks: unknown[] = []
  server.app.broadcastt.on('client_event', (e) => { hooks.push(e) })
  const a = await open(t, server.wsUrl())
  const b = await open(t, server.wsUrl(TEST_APP.key, ''))
  const outsider = await open(t, server.wsUrl())
  const channel = 'private-chat'
  await joined(a, channel, privateAuth(a, channel))
  await joined(b, channel, privateAuth(b, channel), 'broadcastt')
  await joined(outsider, 'private-elsewhere', privateAuth(outsider, 'private-elsewhere'))

  a.send('client-typing', { text: 'hi' }, channel)
  const got = await b.next('client-typing')
  t.same({ channel: got.channel, data: got.json, userId: got.user_id }, { channel, data: { text: 'hi' }, userId: undefined })
  b.send('client-typing', JSON.stringify({ text: 'string form' }), channel)
  t.same((await a.next('client-typing')).json, { text: 'string form' }, 'data sent as a JSON string')
  b.send('client-raw', 'plain words', channel)
  t.equal((await a.next('client-raw')).data, 'plain words', 'a non-JSON string reaches a pusher client as is')
  a.send('client-raw', 'plain words', channel)
  t.equal((await b.next('client-raw')).data, '"plain words"', 'and a broadcastt client JSON-encoded')

  t.same(await a.settle(), [], 'the sender got no echo')
  t.same(await b.settle('broadcastt'), [], 'the sender got no echo')
  t.same(await outsider.settle(), [], 'other channels get nothing')
  t.match(hooks[0], { appId: TEST_APP.id, channel, event: 'client-typing', data: '{"text":"hi"}', socketId: a.socketId })
  t.equal(hooks.length, 4)
})

t.test('on presence channels the frame carries the sender\'s user_id', async (t) => {
  const server = await startServer(t)
  const hooks: Array<{ userId?: string }> = []
  server.app.broadcastt.on('client_event', (e) => { hooks.push(e) })
  const a = await open(t, server.wsUrl())
  const b = await open(t, server.wsUrl(TEST_APP.key, ''))
  const channel = 'presence-chat'
  await joined(a, channel, presenceAuth(a, channel, 7))
  await joined(b, channel, presenceAuth(b, channel, 'bee'), 'broadcastt')
  await a.next('pusher_internal:member_added')
  a.send('client-wave', { x: 1 }, channel)
  const got = await b.next('client-wave')
  t.equal(got.user_id, '7')
  t.same(got.json, { x: 1 })
  t.same(JSON.parse(JSON.stringify(got)), { event: 'client-wave', channel, data: '{"x":1}', user_id: '7', json: { x: 1 } })
  t.equal(hooks[0]?.userId, '7')
})

t.test('refusals: 4301 (or code null when not subscribed), nothing delivered, connection open', async (t) => {
  const server = await startServer(t, {
    apps: [
      { ...TEST_APP, limits: { eventDataBytes: 100, nameLength: 30 } },
      { id: 'quiet', key: 'quiet-key', secret: TEST_APP.secret, clientEvents: false }
    ]
  })
  const sender = await open(t, server.wsUrl())
  const receiver = await open(t, server.wsUrl())
  const both = async (channel: string, extra: (c: TestClient) => Record<string, unknown>) => {
    await joined(sender, channel, extra(sender))
    await joined(receiver, channel, extra(receiver))
  }
  await both('private-room', (c) => privateAuth(c, 'private-room'))
  await both('public-room', () => ({}))
  await both('cache-room', () => ({}))
  await both('private-encrypted-room', (c) => privateAuth(c, 'private-encrypted-room'))
  await receiver.settle()
  const cases: Array<[string, string, unknown, string | undefined, number | null, RegExp]> = [
    ['public channel', 'client-x', {}, 'public-room', 4301, /private and presence/],
    ['public cache channel', 'client-x', {}, 'cache-room', 4301, /private and presence/],
    ['encrypted channel', 'client-x', {}, 'private-encrypted-room', 4301, /private and presence/],
    ['name too long', 'client-' + 'x'.repeat(30), {}, 'private-room', 4301, /longer than 30/],
    ['data too large', 'client-x', { blob: 'x'.repeat(100) }, 'private-room', 4301, /bytes; the limit is 100/],
    ['not subscribed', 'client-x', {}, 'private-other', null, /Not subscribed/],
    ['no channel', 'client-x', {}, undefined, null, /needs a "channel"/]
  ]
  for (const [name, event, data, channel, code, message] of cases) {
    sender.send(event, data, channel)
    const error = await sender.next('pusher:error')
    t.match(error.json, { code, message }, name)
  }
  t.same(await receiver.settle(), [], 'nothing was delivered')
  t.equal(sender.ws.readyState, sender.ws.OPEN, 'still open')

  const quiet = await open(t, server.wsUrl('quiet-key'))
  await joined(quiet, 'private-room', { auth: privateAuth(quiet, 'private-room').auth.replace(TEST_APP.key, 'quiet-key') })
  quiet.send('client-x', {}, 'private-room')
  t.match((await quiet.next('pusher:error')).json, { code: 4301, message: /not enabled/ }, 'app switch off')
  t.same(await receiver.settle(), [], 'apps are isolated anyway')
})

t.test('rate limit: 10 per second per connection, refill over time, fake clock', async (t) => {
  const server = await startServer(t, { clock: t.clock })
  const a = await open(t, server.wsUrl())
  const b = await open(t, server.wsUrl())
  const channel = 'private-fast'
  await joined(a, channel, privateAuth(a, channel))
  await joined(b, channel, privateAuth(b, channel))
  const burst = async (n: number) => {
    for (let i = 0; i < n; i++) a.send('client-tick', { i }, channel)
    // The sender's pong proves the server handled every frame; the receiver's then proves delivery.
    const errors = (await a.settle()).filter((f) => f.event === 'pusher:error')
    const frames = await b.settle()
    return { delivered: frames.filter((f) => f.event === 'client-tick').length, errors }
  }
  const first = await burst(12)
  t.equal(first.delivered, 10, 'a full bucket lets 10 through')
  t.equal(first.errors.length, 2)
  t.match(first.errors[0]?.json, { code: 4301, message: /Rate limit/ })
  t.equal(a.ws.readyState, a.ws.OPEN, 'the connection stays open')

  t.clock.advance(500)
  const half = await burst(6)
  t.equal(half.delivered, 5, 'half a second refills five tokens')
  t.equal(half.errors.length, 1)

  t.clock.advance(60_000)
  const idle = await burst(11)
  t.equal(idle.delivered, 10, 'a long pause refills to 10, not more')

  const other = await open(t, server.wsUrl())
  await joined(other, channel, privateAuth(other, channel))
  other.send('client-tick', {}, channel)
  t.equal((await b.next('client-tick')).channel, channel, 'the limit is per connection')
  t.same((await other.settle()).filter((f) => f.event === 'pusher:error'), [])
})

t.test('clientEventsPerSecond 0 means unlimited', async (t) => {
  const server = await startServer(t, { clock: t.clock, apps: [{ ...TEST_APP, limits: { clientEventsPerSecond: 0 } }] })
  const a = await open(t, server.wsUrl())
  const b = await open(t, server.wsUrl())
  const channel = 'private-unlimited'
  await joined(a, channel, privateAuth(a, channel))
  await joined(b, channel, privateAuth(b, channel))
  for (let i = 0; i < 50; i++) a.send('client-tick', { i }, channel)
  t.same(await a.settle(), [], 'no error')
  t.equal((await b.settle()).length, 50)
})
