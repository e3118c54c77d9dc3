import t from 'tap'
import { signChannel } from '../../src/auth/channel-auth.js'
import { GatedAdapter } from '../helpers/gated-adapter.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open, type TestClient } from '../helpers/ws-client.js'
import { APP, joined, presenceAuth, serverClosed } from './helpers.js'

const ROOM = 'presence-room'

t.test('members keyed by user id: list on success, member_added / member_removed once per user', async (t) => {
  const server = await startServer(t)
  const ann1 = await open(t, server.wsUrl())
  const ann2 = await open(t, server.wsUrl())
  const bob = await open(t, server.wsUrl(TEST_APP.key, ''))

  const first = await joined(ann1, ROOM, presenceAuth(ann1, ROOM, '7', { name: 'Ann' }))
  t.same(first.json, { presence: { ids: ['7'], hash: { 7: { name: 'Ann' } }, count: 1 } })

  const second = await joined(bob, ROOM, presenceAuth(bob, ROOM, 9), 'broadcastt')
  t.same(second.json, { presence: { ids: ['7', '9'], hash: { 7: { name: 'Ann' }, 9: null }, count: 2 } },
    'numeric user_id becomes a string; no user_info is null')
  const added = await ann1.next('pusher_internal:member_added')
  t.equal(added.channel, ROOM)
  t.same(added.json, { user_id: '9', user_info: null })

  const third = await joined(ann2, ROOM, presenceAuth(ann2, ROOM, '7', { name: 'Ann' }))
  t.same(third.json, { presence: { ids: ['7', '9'], hash: { 7: { name: 'Ann' }, 9: null }, count: 2 } },
    'the same user on a second socket counts once')
  t.same(await ann1.settle(), [], 'no member_added for a user already present')
  t.same(await bob.settle('broadcastt'), [], 'no member_added for a user already present (other dialect)')
  t.same(await ann2.settle(), [], 'the joining socket never gets member_added about itself')

  const info = await server.app.broadcastt.channel(TEST_APP.id, ROOM)
  t.same(info, { occupied: true, subscriptionCount: 3, userCount: 2 })
  t.same(await server.app.broadcastt.members(TEST_APP.id, ROOM), [{ id: '7', info: { name: 'Ann' } }, { id: '9', info: null }])
  t.same(await server.app.broadcastt.channels(TEST_APP.id, { prefix: 'presence-' }),
    { [ROOM]: { subscriptionCount: 3, userCount: 2 } })

  ann1.send('pusher:unsubscribe', { channel: ROOM })
  await ann1.settle() // the server has handled the unsubscribe
  t.same(await bob.settle('broadcastt'), [], 'no member_removed while the user has another connection')
  await ann2.close()
  const removed = await bob.next('broadcastt_internal:member_removed')
  t.same({ channel: removed.channel, data: removed.json }, { channel: ROOM, data: { user_id: '7' } })
  t.same(await server.app.broadcastt.members(TEST_APP.id, ROOM), [{ id: '9', info: null }])
  t.equal((await server.app.broadcastt.channel(TEST_APP.id, ROOM)).userCount, 1)
})

t.test('a refused presence subscription changes nothing and sends no event', async (t) => {
  const server = await startServer(t, { apps: [{ ...TEST_APP, limits: { presenceMemberBytes: 200 } }] })
  const watcher = await open(t, server.wsUrl())
  await joined(watcher, ROOM, presenceAuth(watcher, ROOM, 'w'))
  const client = await open(t, server.wsUrl())
  const signed = (channelData: string) => ({ auth: signChannel(APP, client.socketId, ROOM, channelData), channel_data: channelData })
  const cases: Array<[string, Record<string, unknown>]> = [
    ['no auth', { channel_data: '{"user_id":"1"}' }],
    ['no channel_data (not signed in)', { auth: signChannel(APP, client.socketId, ROOM) }],
    ['channel_data re-serialized differently than signed',
      { auth: signChannel(APP, client.socketId, ROOM, '{"user_id":"1"}'), channel_data: '{ "user_id": "1" }' }],
    ['channel_data not JSON', signed('user 1')],
    ['channel_data an array', signed('["1"]')],
    ['channel_data a JSON string', signed('"{\\"user_id\\":\\"1\\"}"')],
    ['no user_id', signed('{"user_info":{}}')],
    ['empty user_id', signed('{"user_id":""}')],
    ['boolean user_id', signed('{"user_id":true}')],
    ['object user_id', signed('{"user_id":{"id":1}}')],
    ['user_id over 128 chars', signed(JSON.stringify({ user_id: 'u'.repeat(129) }))],
    ['channel_data over the byte limit', signed(JSON.stringify({ user_id: '1', user_info: { bio: 'x'.repeat(200) } }))]
  ]
  for (const [name, extra] of cases) {
    const reply = await client.subscribe(ROOM, 'pusher', extra)
    t.equal(reply.event, 'pusher:subscription_error', name)
    t.equal(reply.channel, ROOM)
    t.match(reply.json, { type: 'AuthError', status: 401 }, name)
  }
  t.same(await watcher.settle(), [], 'no member_added was sent')
  t.same(await server.app.broadcastt.members(TEST_APP.id, ROOM), [{ id: 'w', info: null }])
  t.same(await server.app.broadcastt.channel(TEST_APP.id, ROOM), { occupied: true, subscriptionCount: 1, userCount: 1 })
  t.equal(client.ws.readyState, client.ws.OPEN)

  const ok = await client.subscribe(ROOM, 'pusher', signed(JSON.stringify({ user_id: 'u'.repeat(128) })))
  t.equal(ok.event, 'pusher_internal:subscription_succeeded', 'a 128-character user_id is accepted')
})

t.test('the member limit: LimitReached for a new user, another socket of a member still joins', async (t) => {
  const server = await startServer(t, { apps: [{ ...TEST_APP, limits: { presenceMembers: 2 } }] })
  const clients: TestClient[] = []
  for (let i = 0; i < 4; i++) clients.push(await open(t, server.wsUrl()))
  const [a, b, c, a2] = clients as [TestClient, TestClient, TestClient, TestClient]
  await joined(a, ROOM, presenceAuth(a, ROOM, 'a'))
  await joined(b, ROOM, presenceAuth(b, ROOM, 'b'))
  await a.next('pusher_internal:member_added')
  const full = await c.subscribe(ROOM, 'pusher', presenceAuth(c, ROOM, 'c'))
  t.equal(full.event, 'pusher:subscription_error')
  t.match(full.json, { type: 'LimitReached', status: 4100, error: /full/ })
  t.same(await a.settle(), [], 'no member_added for the refused user')
  t.equal((await server.app.broadcastt.channel(TEST_APP.id, ROOM)).userCount, 2)
  t.equal((await server.app.broadcastt.channel(TEST_APP.id, ROOM)).subscriptionCount, 2)

  const again = await a2.subscribe(ROOM, 'pusher', presenceAuth(a2, ROOM, 'a'))
  t.equal(again.event, 'pusher_internal:subscription_succeeded', 'a present user may add a connection')

  b.send('pusher:unsubscribe', { channel: ROOM })
  await a.next('pusher_internal:member_removed')
  const later = await c.subscribe(ROOM, 'pusher', presenceAuth(c, ROOM, 'c'))
  t.equal(later.event, 'pusher_internal:subscription_succeeded', 'room again once a member left')
})

t.test('subscribing twice is harmless; unsubscribe of a channel never joined does nothing', async (t) => {
  const server = await startServer(t)
  const a = await open(t, server.wsUrl())
  const b = await open(t, server.wsUrl())
  await joined(a, ROOM, presenceAuth(a, ROOM, 'a'))
  await joined(b, ROOM, presenceAuth(b, ROOM, 'b'))
  await a.next('pusher_internal:member_added')
  const again = await joined(b, ROOM, presenceAuth(b, ROOM, 'b'))
  t.same(again.json, { presence: { ids: ['a', 'b'], hash: { a: null, b: null }, count: 2 } })
  t.same(await a.settle(), [], 'no second member_added')
  t.equal((await server.app.broadcastt.channel(TEST_APP.id, ROOM)).subscriptionCount, 2)
  b.send('pusher:unsubscribe', { channel: 'presence-never' })
  t.same(await b.settle(), [], 'no reply')
  t.same(await a.settle(), [], 'no member_removed')
  t.equal((await server.app.broadcastt.channel(TEST_APP.id, ROOM)).userCount, 2)
})

t.test('closing while the join is in flight leaves no ghost member', async (t) => {
  // The adapter holds the join until the connection is gone, so the join lands for a closed connection.
  const adapter = new GatedAdapter()
  const server = await startServer(t, { adapter })
  const watcher = await open(t, server.wsUrl())
  await joined(watcher, ROOM, presenceAuth(watcher, ROOM, 'w'))
  for (let i = 0; i < 3; i++) {
    const ghost = await open(t, server.wsUrl())
    adapter.hold('addMember')
    const reached = adapter.called('addMember')
    ghost.send('pusher:subscribe', { channel: ROOM, ...presenceAuth(ghost, ROOM, 'ghost') })
    await reached
    const gone = serverClosed(server.app, ghost)
    ghost.ws.terminate()
    await gone
    const undone = adapter.called('removeMember')
    adapter.release('addMember')
    await undone
    t.same(await server.app.broadcastt.members(TEST_APP.id, ROOM), [{ id: 'w', info: null }], `join ${i} was undone`)
  }
  const events = await watcher.settle()
  t.same(events.filter((f) => f.event.startsWith('pusher_internal:member_')), [],
    'the ghost was never announced, so neither is its removal')
})

t.test('channelsPerConnection also bounds presence joins, before any member is added', async (t) => {
  const server = await startServer(t, { apps: [{ ...TEST_APP, limits: { channelsPerConnection: 1 } }] })
  const watcher = await open(t, server.wsUrl())
  await joined(watcher, ROOM, presenceAuth(watcher, ROOM, 'w'))
  const client = await open(t, server.wsUrl())
  await joined(client, 'news')
  const reply = await client.subscribe(ROOM, 'pusher', presenceAuth(client, ROOM, 'c'))
  t.equal(reply.event, 'pusher:subscription_error')
  t.equal(reply.channel, ROOM)
  t.match(reply.json, { type: 'LimitReached', status: 4100, error: /at most 1 channels/ })
  t.same(await watcher.settle(), [], 'no member_added')
  t.same(await server.app.broadcastt.members(TEST_APP.id, ROOM), [{ id: 'w', info: null }])
})
