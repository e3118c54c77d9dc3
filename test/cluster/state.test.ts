/**
 * State the API can trust, cluster-wide: REST channel queries, cache channels, terminate_connections,
 * watchlists and the per-app connection quota, with clients spread over the nodes.
 */
import t from 'tap'
import { startCluster } from '../helpers/cluster.js'
import { connect, open, type TestClient } from '../helpers/ws-client.js'
import { delivered, pusherFor, received, signed, subscriber } from '../http/helpers.js'
import { joined, presenceAuth, serverClosed, signinData } from '../channels/helpers.js'
import { TEST_APP } from '../helpers/server.js'

async function signIn (client: TestClient, user: Record<string, unknown>): Promise<void> {
  client.send('pusher:signin', signinData(client, user))
  await client.next('pusher:signin_success')
}

t.test('REST channel queries count every node', async (t) => {
  const [a, b] = await startCluster(t, 2)
  if (a === undefined || b === undefined) throw new Error('no nodes')
  await subscriber(t, a, ['news', 'sport'])
  await subscriber(t, b, ['news'])
  const ann = await open(t, a.wsUrl())
  await joined(ann, 'presence-room', presenceAuth(ann, 'presence-room', 'ann'))
  const bob = await open(t, b.wsUrl())
  await joined(bob, 'presence-room', presenceAuth(bob, 'presence-room', 'bob'))
  const bob2 = await open(t, b.wsUrl())
  await joined(bob2, 'presence-room', presenceAuth(bob2, 'presence-room', 'bob'))
  await delivered(ann) // settle(): every node's subscriber count writes are done (its adapter's barrier)

  const all = await signed(b, 'GET', '/channels', { query: { info: 'subscription_count' } })
  t.same(all.body, {
    channels: { news: { subscription_count: 2 }, sport: { subscription_count: 1 }, 'presence-room': { subscription_count: 3 } }
  })
  const presence = await signed(a, 'GET', '/channels', { query: { filter_by_prefix: 'presence-', info: 'user_count' } })
  t.same(presence.body, { channels: { 'presence-room': { user_count: 2 } } })
  const one = await signed(a, 'GET', '/channels/presence-room', { query: { info: 'subscription_count,user_count' } })
  t.same(one.body, { occupied: true, subscription_count: 3, user_count: 2 })
  const users = await signed(b, 'GET', '/channels/presence-room/users')
  t.same((users.body as { users: Array<{ id: string }> }).users.map((u) => u.id).sort(), ['ann', 'bob'])
  t.same((await signed(a, 'GET', '/channels/empty')).body, { occupied: false })
})

t.test('cache channels: a new subscriber on any node gets the last event, never an older one', async (t) => {
  const [a, b] = await startCluster(t, 2)
  if (a === undefined || b === undefined) throw new Error('no nodes')
  const early = await subscriber(t, a, ['cache-prices'])
  for (let i = 1; i <= 5; i++) await pusherFor(i % 2 === 0 ? a : b).trigger('cache-prices', 'price', { i })
  t.same((await received(early, 5, 'price')).filter((f) => f.event === 'price').map((f) => f.data), [1, 2, 3, 4, 5].map((i) => JSON.stringify({ i })))
  const late = await open(t, b.wsUrl())
  await joined(late, 'cache-prices')
  t.same((await late.next('price')).json, { i: 5 }, 'the last event')
  t.same(await delivered(late), [], 'once')
  const info = await signed(a, 'GET', '/channels/cache-prices', { query: { info: 'cache' } })
  t.match(info.body, { occupied: true, cache: { data: '{"i":5}' } })

  // Subscribing while events are triggered on the other node: the subscriber sees an increasing sequence
  // with no gap after what it got first (the replay or the first live event), and nothing twice.
  const racing = await open(t, a.wsUrl())
  const triggers = (async () => {
    for (let i = 6; i <= 25; i++) await pusherFor(b).trigger('cache-prices', 'price', { i })
  })()
  await joined(racing, 'cache-prices')
  await triggers
  await b.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['cache-prices'], name: 'price', data: { i: 26 } })
  const seen: number[] = []
  for (;;) {
    const frame = await racing.next('price')
    const { i } = frame.json as { i: number }
    seen.push(i)
    if (i === 26) break
  }
  const first = seen[0] ?? 0
  t.same(seen, Array.from({ length: 27 - first }, (_, k) => first + k), `in order, no gap, no repeat (from ${first})`)
})

t.test('terminate_connections closes the user on every node', async (t) => {
  const [a, b] = await startCluster(t, 2)
  if (a === undefined || b === undefined) throw new Error('no nodes')
  const onA = await open(t, a.wsUrl())
  const onB = await open(t, b.wsUrl())
  const bystander = await open(t, b.wsUrl())
  await signIn(onA, { id: 'u9' })
  await signIn(onB, { id: 'u9' })
  await signIn(bystander, { id: 'u8' })
  const response = await signed(a, 'POST', '/users/u9/terminate_connections', { body: {} })
  t.equal(response.status, 200)
  t.equal((await onA.closed).code, 4009)
  t.equal((await onB.closed).code, 4009)
  t.same(await bystander.settle(), [], 'another user stays')
})

t.test('watchlists: online and offline are decided cluster-wide', async (t) => {
  const [a, b] = await startCluster(t, 2, { apps: [{ ...TEST_APP, watchlist: true }] })
  if (a === undefined || b === undefined) throw new Error('no nodes')
  const watcher = await open(t, a.wsUrl())
  await signIn(watcher, { id: 'w', watchlist: ['x'] })
  t.same(await watcher.settle(), [], 'nobody online yet')
  const x1 = await open(t, b.wsUrl())
  await signIn(x1, { id: 'x' })
  const events = (frame: { json: unknown }) => (frame.json as { events: unknown[] }).events
  t.same(events(await watcher.next('pusher_internal:watchlist_events')), [{ name: 'online', user_ids: ['x'] }])
  const x2 = await open(t, a.wsUrl())
  await signIn(x2, { id: 'x' })
  const x1Gone = serverClosed(b.app, x1)
  await x1.close()
  await x1Gone
  t.same(await watcher.settle(), [], 'x is still online through the other node')
  const late = await open(t, b.wsUrl())
  await signIn(late, { id: 'v', watchlist: ['x'] })
  t.same(events(await late.next('pusher_internal:watchlist_events')), [{ name: 'online', user_ids: ['x'] }],
    'a new watcher on another node learns x is online')
  await x2.close()
  t.same(events(await watcher.next('pusher_internal:watchlist_events')), [{ name: 'offline', user_ids: ['x'] }])
  t.same(events(await late.next('pusher_internal:watchlist_events')), [{ name: 'offline', user_ids: ['x'] }])
})

t.test('the per-app connection quota holds across nodes', async (t) => {
  const [a, b] = await startCluster(t, 2, { apps: [{ ...TEST_APP, limits: { maxConnections: 2 } }] })
  if (a === undefined || b === undefined) throw new Error('no nodes')
  await open(t, a.wsUrl())
  const second = await open(t, b.wsUrl())
  const refused = await connect(a.wsUrl())
  t.match(refused.first, { event: 'pusher:error' })
  t.equal((refused.first.json as { code: number }).code, 4004, 'over quota, counted on both nodes')
  await refused.client.closed
  const gone = new Promise<void>((resolve) => { b.app.broadcastt.on('connection_closed', () => { resolve() }) })
  await second.close()
  await gone
  await delivered(await open(t, a.wsUrl())) // a place is free again
  t.pass('a connection is accepted once another left')
})
