/**
 * Channel queries (PROTOCOL.md §9) through the Pusher SDK's `get` and raw signed requests: the exact response
 * shapes, presence `user_count` and users, cache channels, the 400 rules of `info`, and terminate.
 */
import t from 'tap'
import { startServer } from '../helpers/server.js'
import { joined, presenceAuth, signinData } from '../channels/helpers.js'
import { open } from '../helpers/ws-client.js'
import { assertRefused, pusherFor, signed, subscriber } from './helpers.js'

t.test('GET /channels lists occupied channels, filtered, with attributes', async (t) => {
  const server = await startServer(t)
  await subscriber(t, server, ['news', 'news-eu', 'sport'])
  await subscriber(t, server, ['news'])
  const pusher = pusherFor(server)
  t.same(await (await pusher.get({ path: '/channels' })).json(), { channels: { news: {}, 'news-eu': {}, sport: {} } })
  t.same(await (await pusher.get({ path: '/channels', params: { filter_by_prefix: 'news', info: 'subscription_count' } })).json(),
    { channels: { news: { subscription_count: 2 }, 'news-eu': { subscription_count: 1 } } })
  assertRefused(t, await signed(server, 'GET', '/channels', { query: { info: 'user_count' } }), 400,
    'FST_BROADCASTT_INVALID_REQUEST', /user_count needs filter_by_prefix to start with "presence-"/)
  assertRefused(t, await signed(server, 'GET', '/channels', { query: { info: 'members' } }), 400,
    'FST_BROADCASTT_INVALID_REQUEST', /Unknown info attribute "members"/)
})

t.test('presence: user_count, users and GET /channels with a presence- filter', async (t) => {
  const server = await startServer(t)
  const a = await open(t, server.wsUrl())
  const b = await open(t, server.wsUrl())
  const c = await open(t, server.wsUrl())
  await joined(a, 'presence-room', presenceAuth(a, 'presence-room', '7', { name: 'Ann' }))
  await joined(b, 'presence-room', presenceAuth(b, 'presence-room', '7', { name: 'Ann' }))
  await joined(c, 'presence-room', presenceAuth(c, 'presence-room', 9))
  const pusher = pusherFor(server)
  t.same(await (await pusher.get({ path: '/channels/presence-room', params: { info: 'user_count,subscription_count' } })).json(),
    { occupied: true, user_count: 2, subscription_count: 3 })
  t.same(await (await pusher.get({ path: '/channel/presence-room', params: { info: 'user_count' } })).json(),
    { occupied: true, user_count: 2 }, 'the /channel alias')
  t.same(await (await pusher.get({ path: '/channels/presence-room/users' })).json(), { users: [{ id: '7' }, { id: '9' }] })
  t.same(await (await pusher.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } })).json(),
    { channels: { 'presence-room': { user_count: 2 } } })
  const trigger = await pusher.trigger('presence-room', 'e', {}, { info: 'user_count,subscription_count' })
  t.same(await trigger.json(), { channels: { 'presence-room': { user_count: 2, subscription_count: 3 } } })
  t.same(await (await pusher.get({ path: '/channels/presence-empty/users' })).json(), { users: [] })
})

t.test('GET /channels/{name}: occupied, info rules, invalid names', async (t) => {
  const server = await startServer(t)
  await subscriber(t, server, ['solo'])
  const get = async (name: string, info?: string) =>
    await signed(server, 'GET', `/channels/${encodeURIComponent(name)}`, info === undefined ? {} : { query: { info } })
  t.same((await get('solo')).body, { occupied: true })
  t.same((await get('solo', 'subscription_count')).body, { occupied: true, subscription_count: 1 })
  t.same((await get('nobody', 'subscription_count')).body, { occupied: false, subscription_count: 0 })
  assertRefused(t, await get('solo', 'user_count'), 400, 'FST_BROADCASTT_INVALID_REQUEST', /user_count applies to presence channels only; "solo"/)
  assertRefused(t, await get('solo', 'cache'), 400, 'FST_BROADCASTT_INVALID_REQUEST', /cache applies to cache channels only; "solo"/)
  assertRefused(t, await get('solo', 'size'), 400, 'FST_BROADCASTT_INVALID_REQUEST', /Unknown info attribute "size"/)
  assertRefused(t, await get('bad name'), 400, 'FST_BROADCASTT_INVALID_REQUEST', /may only contain/)
  assertRefused(t, await signed(server, 'GET', '/channels/solo/users'), 400, 'FST_BROADCASTT_INVALID_REQUEST', /"solo" is not a presence channel/)
})

t.test('cache channels answer info=cache with the last event and its ttl', async (t) => {
  const server = await startServer(t)
  const pusher = pusherFor(server)
  t.same(await (await pusher.get({ path: '/channels/cache-prices', params: { info: 'cache' } })).json(), { occupied: false },
    'nothing cached yet')
  await pusher.trigger('cache-prices', 'price', { eur: 1 })
  const body = await (await pusher.get({ path: '/channels/cache-prices', params: { info: 'cache' } })).json() as
    { occupied: boolean, cache: { data: string, ttl: number } }
  t.same(body.cache.data, '{"eur":1}')
  t.ok(body.cache.ttl > 1790 && body.cache.ttl <= 1800, `ttl ${body.cache.ttl}`)
})

t.test('POST /users/{id}/terminate_connections closes the user\'s connections with 4009', async (t) => {
  const server = await startServer(t)
  const user = await open(t, server.wsUrl())
  const other = await open(t, server.wsUrl())
  user.send('pusher:signin', signinData(user, { id: 'u1' }))
  await user.next('pusher:signin_success')
  const response = await pusherFor(server).terminateUserConnections('u1')
  t.same([response.status, await response.json()], [200, {}])
  t.equal((await user.closed).code, 4009)
  t.same(await other.settle(), [], 'other connections are untouched')
  const unknown = await signed(server, 'POST', '/users/nobody/terminate_connections', { body: {} })
  t.same([unknown.status, unknown.body], [200, {}], 'a user with no connection is fine')
  const bodiless = await signed(server, 'POST', '/users/nobody/terminate_connections')
  t.same([bodiless.status, bodiless.body], [200, {}], 'no body is fine too')
})
