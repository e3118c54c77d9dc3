/**
 * Delivery across nodes: an event triggered on any node (REST, programmatic, client event, sendToUser)
 * reaches every subscriber on every node exactly once, in trigger order, except the excluded socket.
 */
import { Redis } from 'ioredis'
import t from 'tap'
import { startCluster } from '../helpers/cluster.js'
import { open, type TestClient } from '../helpers/ws-client.js'
import { delivered, pusherFor, received, subscriber } from '../http/helpers.js'
import { joined, presenceAuth, privateAuth, signinData } from '../channels/helpers.js'
import { TEST_APP } from '../helpers/server.js'
import { REDIS_URL } from '../helpers/redis.js'

const appId = TEST_APP.id

t.test('three nodes: every subscriber gets each event once, in trigger order, wherever it was triggered', async (t) => {
  const nodes = await startCluster(t, 3)
  const clients: TestClient[] = []
  for (const node of nodes) {
    clients.push(await subscriber(t, node, ['news']))
    clients.push(await open(t, node.wsUrl(TEST_APP.key, ''))) // broadcastt dialect
  }
  for (const client of clients.filter((_, i) => i % 2 === 1)) await joined(client, 'news', {}, 'broadcastt')
  const expected: string[] = []
  for (let i = 0; i < 30; i++) {
    const node = nodes[i % 3]
    if (node === undefined) throw new Error('no node')
    if (i % 2 === 0) await node.app.broadcastt.trigger({ appId, channels: ['news'], name: 'n', data: { i } })
    else await pusherFor(node).trigger('news', 'n', { i })
    expected.push(JSON.stringify({ i }))
  }
  for (const client of clients.filter((_, i) => i % 2 === 0)) {
    t.same((await received(client, expected.length)).map((f) => f.data), expected, 'once each, in order')
  }
  for (const client of clients.filter((_, i) => i % 2 === 1)) {
    for (const data of expected) t.equal((await client.next('n')).data, data)
    t.same((await client.settle('broadcastt')).filter((f) => f.event === 'n'), [], 'nothing more')
  }
})

t.test('the excluded socket_id is skipped on whichever node it lives; others on its node still get it', async (t) => {
  const [a, b] = await startCluster(t, 2)
  if (a === undefined || b === undefined) throw new Error('no nodes')
  const onA = await subscriber(t, a, ['room'])
  const onB = await subscriber(t, b, ['room'])
  const alsoOnB = await subscriber(t, b, ['room'])
  const response = await pusherFor(a).trigger('room', 'x', { n: 1 }, { socket_id: onB.socketId })
  t.equal(response.status, 200)
  t.same((await delivered(onB)), [], 'excluded')
  t.same((await received(alsoOnB, 1)).map((f) => f.data), ['{"n":1}'])
  t.same((await received(onA, 1)).map((f) => f.data), ['{"n":1}'])
})

t.test('client events reach the other nodes, never their sender; user_id on presence channels', async (t) => {
  const [a, b] = await startCluster(t, 2)
  if (a === undefined || b === undefined) throw new Error('no nodes')
  const sender = await open(t, a.wsUrl())
  const receiver = await open(t, b.wsUrl())
  await joined(sender, 'private-chat', privateAuth(sender, 'private-chat'))
  await joined(receiver, 'private-chat', privateAuth(receiver, 'private-chat'))
  sender.send('client-typing', { on: true }, 'private-chat')
  t.same((await receiver.next('client-typing')).json, { on: true })
  t.same(await delivered(sender), [], 'no echo')
  await joined(sender, 'presence-room', presenceAuth(sender, 'presence-room', 'ann'))
  await joined(receiver, 'presence-room', presenceAuth(receiver, 'presence-room', 'bob'))
  sender.send('client-hi', 'hello', 'presence-room')
  const frame = await receiver.next('client-hi')
  t.equal(frame.user_id, 'ann')
})

t.test('sendToUser reaches the user on another node', async (t) => {
  const [a, b] = await startCluster(t, 2)
  if (a === undefined || b === undefined) throw new Error('no nodes')
  const client = await open(t, b.wsUrl())
  client.send('pusher:signin', signinData(client, { id: 'u1' }))
  await client.next('pusher:signin_success')
  await joined(client, '#server-to-user-u1')
  await a.app.broadcastt.sendToUser(appId, 'u1', 'notice', { hi: true })
  t.same((await client.next('notice')).json, { hi: true })
})

t.test('a node subscribes to a channel in Redis on its first local subscriber and unsubscribes on its last', async (t) => {
  const nodes = await startCluster(t, 2)
  const [a, b] = nodes
  if (a === undefined || b === undefined) throw new Error('no nodes')
  const redis = new Redis(REDIS_URL)
  t.teardown(() => { redis.disconnect() })
  const topic = `${nodes.keyPrefix}m:{${appId}:news}`
  const subscribers = async (): Promise<number> => {
    const [, count] = await redis.pubsub('NUMSUB', topic) as [string, number]
    return Number(count)
  }
  t.equal(await subscribers(), 0)
  const first = await subscriber(t, a, ['news'])
  const second = await subscriber(t, a, ['news'])
  t.equal(await subscribers(), 1, 'one subscription for the node, however many local subscribers')
  const onB = await subscriber(t, b, ['news'])
  t.equal(await subscribers(), 2)
  first.send('pusher:unsubscribe', { channel: 'news' })
  await first.settle()
  t.equal(await subscribers(), 2, 'node a still serves news')
  second.send('pusher:unsubscribe', { channel: 'news' })
  await second.settle()
  const vacated = new Promise<void>((resolve) => { b.app.broadcastt.on('channel_vacated', () => { resolve() }) })
  await onB.close()
  await vacated // node b left last, so it decided vacated, after its own Redis unsubscription
  t.equal(await subscribers(), 0, 'no node serves news any more')
})
