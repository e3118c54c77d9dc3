/** pusher-js clients spread over two nodes: public events, exclusion by socket id, presence members. */
import t from 'tap'
import { signChannel } from '../../src/auth/channel-auth.js'
import { startCluster } from '../helpers/cluster.js'
import { localServerOptions, Pusher } from '../helpers/pusher-js.js'
import { TEST_APP, type TestServer } from '../helpers/server.js'

function client (t: { teardown (fn: () => unknown): void }, server: TestServer, userId: string): Pusher {
  const pusher = new Pusher(TEST_APP.key, {
    ...localServerOptions(server.port),
    channelAuthorization: {
      endpoint: '/unused',
      transport: 'ajax',
      customHandler: ({ socketId, channelName }, callback) => {
        const channelData = JSON.stringify({ user_id: userId, user_info: { name: userId } })
        callback(null, { auth: signChannel(TEST_APP, socketId, channelName, channelData), channel_data: channelData })
      }
    }
  })
  t.teardown(() => { pusher.disconnect() })
  return pusher
}

const subscribed = (pusher: Pusher, name: string) => new Promise<ReturnType<Pusher['subscribe']>>((resolve) => {
  const channel = pusher.subscribe(name)
  channel.bind('pusher:subscription_succeeded', () => { resolve(channel) })
})

t.test('pusher-js on two nodes: events from either node, exclusion, presence members', async (t) => {
  const [a, b] = await startCluster(t, 2)
  if (a === undefined || b === undefined) throw new Error('no nodes')
  const ann = client(t, a, 'ann')
  const bob = client(t, b, 'bob')
  const [annNews, bobNews] = await Promise.all([subscribed(ann, 'news'), subscribed(bob, 'news')])
  const annGot: unknown[] = []
  const bobGot: unknown[] = []
  annNews.bind('n', (data: unknown) => { annGot.push(data) })
  const bobDone = new Promise<void>((resolve) => {
    bobNews.bind('n', (data: unknown) => { bobGot.push(data); if (bobGot.length === 3) resolve() })
  })
  await a.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['news'], name: 'n', data: { i: 1 } })
  await b.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['news'], name: 'n', data: { i: 2 }, socketId: ann.connection.socket_id })
  await a.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['news'], name: 'n', data: { i: 3 } })
  await bobDone
  t.same(bobGot, [{ i: 1 }, { i: 2 }, { i: 3 }])
  const annLast = annGot.length === 2 ? Promise.resolve() : new Promise<void>((resolve) => { annNews.bind('n', () => { resolve() }) })
  await annLast
  t.same(annGot, [{ i: 1 }, { i: 3 }], 'ann, excluded from the second, got the others')

  const annRoom = await subscribed(ann, 'presence-room')
  const joining = new Promise<{ id: string }>((resolve) => { annRoom.bind('pusher:member_added', resolve) })
  const bobRoom = await subscribed(bob, 'presence-room')
  t.match(await joining, { id: 'bob', info: { name: 'bob' } })
  const members = (bobRoom as unknown as { members: { count: number, me: { id: string } } }).members
  t.equal(members.count, 2, 'bob sees both members')
  const leaving = new Promise<{ id: string }>((resolve) => { annRoom.bind('pusher:member_removed', resolve) })
  bob.disconnect()
  t.match(await leaving, { id: 'bob' })
})
