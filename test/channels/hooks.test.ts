/** `fastify.broadcastt.on` lets in-process code follow what happens, with typed payloads. */
import t from 'tap'
import type { HubEvents } from '../../src/index.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { joined, presenceAuth, privateAuth, serverClosed, signinData } from './helpers.js'

type Seen = { [E in keyof HubEvents]?: Array<HubEvents[E][0]> }

t.test('occupied, vacated, member_added, member_removed, client_event and cache_miss reach listeners', async (t) => {
  const server = await startServer(t)
  const api = server.app.broadcastt
  const seen: Seen = {}
  const names = ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event', 'cache_miss'] as const
  for (const name of names) {
    api.on(name, (payload: HubEvents[typeof name][0]) => { ((seen[name] ??= []) as unknown[]).push(payload) })
  }
  const room = 'presence-cache-room'
  const a = await open(t, server.wsUrl())
  const b = await open(t, server.wsUrl())
  await joined(a, room, presenceAuth(a, room, 'ann', { name: 'Ann' }))
  await joined(b, room, presenceAuth(b, room, 'bob'))
  b.send('client-hi', { x: 1 }, room)
  await a.next('client-hi')
  const gone = serverClosed(server.app, b)
  await b.close()
  await gone
  await a.next('pusher_internal:member_removed')

  const appId = TEST_APP.id
  t.same(seen.channel_occupied, [{ appId, channel: room }])
  t.same(seen.cache_miss, [{ appId, channel: room }, { appId, channel: room }])
  t.same(seen.member_added, [
    { appId, channel: room, userId: 'ann', userInfo: { name: 'Ann' } },
    { appId, channel: room, userId: 'bob', userInfo: null }
  ])
  t.same(seen.client_event, [{ appId, channel: room, event: 'client-hi', data: '{"x":1}', socketId: b.socketId, userId: 'bob' }])
  t.same(seen.member_removed, [{ appId, channel: room, userId: 'bob' }])
  t.equal(seen.channel_vacated, undefined, 'still occupied by ann')

  a.send('pusher:unsubscribe', { channel: room })
  await a.settle() // the server handled the unsubscribe, and the presence leave it started is done
  t.same(seen.member_removed?.at(-1), { appId, channel: room, userId: 'ann' })
  t.same(seen.channel_vacated, [{ appId, channel: room }])
})

t.test('off() stops a listener; sendToUser publishes to the user channel without HTTP', async (t) => {
  const server = await startServer(t)
  const api = server.app.broadcastt
  const occupied: string[] = []
  const listener = (e: { channel: string }) => { occupied.push(e.channel) }
  api.on('channel_occupied', listener)
  const a = await open(t, server.wsUrl())
  await joined(a, 'private-one', privateAuth(a, 'private-one'))
  api.off('channel_occupied', listener)
  await joined(a, 'private-two', privateAuth(a, 'private-two'))
  t.same(occupied, ['private-one'])

  a.send('pusher:signin', signinData(a, { id: 'u1' }))
  await a.next('pusher:signin_success')
  await joined(a, '#server-to-user-u1')
  await api.sendToUser(TEST_APP.id, 'u1', 'ping', 'hello')
  const got = await a.next('ping')
  t.same({ channel: got.channel, data: got.data }, { channel: '#server-to-user-u1', data: 'hello' })
  const bad = await api.sendToUser(TEST_APP.id, 'bad id', 'x', {}).catch((e: unknown) => e)
  t.match(bad, { statusCode: 400 }, 'a user id that cannot name a channel is refused')
})
