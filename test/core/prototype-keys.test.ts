/**
 * Client input used as object keys (issue #7, defect 6): names such as `__proto__`, `constructor` and
 * `toString` are ordinary names everywhere the server builds an object from client input — presence member
 * ids, REST query parameters, channel names in REST answers, user ids.
 */
import t from 'tap'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { joined, presenceAuth, signinData } from '../channels/helpers.js'
import { pusherFor, signed, subscriber } from '../http/helpers.js'

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']

t.test('presence member ids that name Object.prototype members are kept', async (t) => {
  const server = await startServer(t)
  const room = 'presence-proto'
  let count = 0
  for (const id of NAMES) {
    const client = await open(t, server.wsUrl())
    const info = JSON.parse(`{"id":${JSON.stringify(id)},"__proto__":{"polluted":true}}`) as unknown
    const reply = await joined(client, room, presenceAuth(client, room, id, info))
    t.equal((reply.json as { presence: { count: number } }).presence.count, ++count, `${id} counted`)
  }
  const watcher = await open(t, server.wsUrl())
  const reply = await joined(watcher, room, presenceAuth(watcher, room, 'watcher'))
  const presence = (reply.json as { presence: { ids: string[], hash: Record<string, unknown>, count: number } }).presence
  for (const id of NAMES) {
    t.ok(presence.ids.includes(id), `${id} is in ids`)
    t.ok(Object.hasOwn(presence.hash, id), `${id} is a key of hash`)
  }
  t.equal(Object.keys(presence.hash).length, presence.count, 'hash has one key per member')
  t.same(Object.getPrototypeOf(presence.hash), Object.prototype, 'nothing replaced the prototype on the client side')
  t.same(await server.app.broadcastt.members(TEST_APP.id, room).then((m) => m.map(({ id }) => id).filter((id) => NAMES.includes(id))),
    NAMES)
})

t.test('a signed REST request may carry query parameters of any name', async (t) => {
  const server = await startServer(t)
  for (const name of NAMES) {
    const response = await signed(server, 'GET', '/channels', { query: { [name]: 'x' } })
    t.equal(response.status, 200, `query parameter ${name}`)
  }
  const repeated = await signed(server, 'GET', '/channels', { query: { constructor: ['a', 'b'], toString: ['c', 'd'] } })
  t.equal(repeated.status, 200, 'repeated parameters named like prototype members')
})

t.test('channels and users named like prototype members in REST answers', async (t) => {
  const server = await startServer(t)
  await subscriber(t, server, NAMES)
  const listed = await signed(server, 'GET', '/channels', { query: { info: 'subscription_count' } })
  t.equal(listed.status, 200)
  const channels = (listed.body as { channels: Record<string, unknown> }).channels
  for (const name of NAMES) t.same(Object.hasOwn(channels, name) ? channels[name] : 'missing', { subscription_count: 1 }, `GET /channels lists ${name}`)
  const api = await server.app.broadcastt.channels(TEST_APP.id)
  for (const name of NAMES) t.ok(Object.hasOwn(api, name), `broadcastt.channels() lists ${name}`)

  const trigger = await pusherFor(server).trigger(NAMES, 'e', {}, { info: 'subscription_count' })
  const triggered = await trigger.json() as { channels: Record<string, unknown> }
  for (const name of NAMES) {
    t.same(Object.hasOwn(triggered.channels, name) ? triggered.channels[name] : 'missing', { subscription_count: 1 },
      `trigger info names ${name}`)
  }
  const body = await signed(server, 'POST', '/events', {
    body: JSON.parse('{"name":"e","channels":["__proto__"],"data":"{}","__proto__":{"name":"x"},"constructor":1}')
  })
  t.ok(body.status === 200 || body.status === 400, `a body with a __proto__ key is served or refused, never 500 (${body.status})`)
})

t.test('users signed in with ids named like prototype members', async (t) => {
  const server = await startServer(t, { apps: [{ ...TEST_APP, watchlist: true }] })
  for (const id of NAMES) {
    const client = await open(t, server.wsUrl())
    client.send('pusher:signin', signinData(client, { id, watchlist: NAMES }))
    t.match(await client.next('pusher:signin_success'), { event: 'pusher:signin_success' }, `${id} signs in`)
    await joined(client, `#server-to-user-${id}`)
  }
  for (const id of NAMES) {
    const response = await signed(server, 'POST', `/users/${encodeURIComponent(id)}/terminate_connections`, { body: {} })
    t.equal(response.status, 200, `terminate ${id}`)
  }
})
