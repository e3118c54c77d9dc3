/**
 * Names longer than Fastify's default `maxParamLength` (100) in REST paths (issue #7, defect 2): channel names
 * of up to 200 characters and long user ids are served on every route with a path parameter, by a server
 * created with Fastify's defaults (as the standalone server is).
 */
import t from 'tap'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { joined, presenceAuth, signinData } from '../channels/helpers.js'
import { assertRefused, pusherFor, signed, subscriber } from './helpers.js'

const long = (prefix: string, length: number): string => prefix + 'x'.repeat(length - prefix.length)

t.test('200-character channel names on /channels/:name, /channel/:name and /channels/:name/users', async (t) => {
  const server = await startServer(t)
  const name = long('cache-', 200)
  const room = long('presence-', 200)
  await subscriber(t, server, [name])
  const member = await open(t, server.wsUrl())
  await joined(member, room, presenceAuth(member, room, 'u1'))
  await pusherFor(server).trigger(name, 'e', { n: 1 })

  for (const route of ['channels', 'channel']) {
    const response = await signed(server, 'GET', `/${route}/${name}`, { query: { info: 'subscription_count,cache' } })
    t.equal(response.status, 200, `/${route}/{200 chars}`)
    t.match(response.body, { occupied: true, subscription_count: 1, cache: { data: '{"n":1}' } })
  }
  const users = await signed(server, 'GET', `/channels/${room}/users`)
  t.equal(users.status, 200)
  t.same(users.body, { users: [{ id: 'u1' }] })
  const counted = await signed(server, 'GET', `/channels/${room}`, { query: { info: 'user_count' } })
  t.same(counted.body, { occupied: true, user_count: 1 })

  // A name whose percent-encoding is longer than 200 characters, but not the name.
  const encoded = long('private-=@,;', 200)
  const response = await signed(server, 'GET', `/channels/${encodeURIComponent(encoded)}`)
  t.same({ status: response.status, body: response.body }, { status: 200, body: { occupied: false } }, 'percent-encoded name')
})

t.test('long names get the same answers as short ones: 400 for bad names and queries, 404 for unknown paths', async (t) => {
  const server = await startServer(t)
  assertRefused(t, await signed(server, 'GET', `/channels/${long('c', 201)}`), 400, 'FST_BROADCASTT_INVALID_REQUEST',
    /longer than 200/)
  assertRefused(t, await signed(server, 'GET', `/channels/${long('c', 150)}/users`), 400, 'FST_BROADCASTT_INVALID_REQUEST',
    /is not a presence channel/)
  assertRefused(t, await signed(server, 'GET', `/channels/${long('c', 150)}`, { query: { info: 'size' } }), 400,
    'FST_BROADCASTT_INVALID_REQUEST', /Unknown info attribute "size"/)
  assertRefused(t, await signed(server, 'GET', `/channels/${long('c', 150)}/members`), 404, 'FST_BROADCASTT_NOT_FOUND', /Route GET/)
  assertRefused(t, await signed(server, 'GET', `/nothing/${long('c', 150)}`), 404, 'FST_BROADCASTT_NOT_FOUND', /Route GET/)
  assertRefused(t, await signed(server, 'GET', `/channels/${long('c', 150)}`, { timestamp: 1 }),
    401, 'FST_BROADCASTT_UNAUTHORIZED', /auth_timestamp/)
  const unsigned = await fetch(`http://127.0.0.1:${server.port}/apps/${TEST_APP.id}/channels/${long('c', 150)}`)
  t.equal(unsigned.status, 401, 'the signature is checked on long paths too')
  const body = await signed(server, 'POST', `/users/${long('u', 150)}/terminate_connections`, { body: '[1]' })
  t.equal(body.status, 400, 'the route\'s body schema applies on long paths too')
})

t.test('long user ids on /users/:id/terminate_connections', async (t) => {
  const server = await startServer(t)
  const userId = long('user-', 128) // the longest id a sign-in accepts, over maxParamLength
  const client = await open(t, server.wsUrl())
  client.send('pusher:signin', signinData(client, { id: userId }))
  await client.next('pusher:signin_success')
  const response = await signed(server, 'POST', `/users/${userId}/terminate_connections`, { body: {} })
  t.same({ status: response.status, body: response.body }, { status: 200, body: {} })
  t.match(await client.closed, { code: 4009 })
})
