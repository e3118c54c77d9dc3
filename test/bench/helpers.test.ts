/**
 * The bench's own helpers: its signed REST requests are accepted by this server (the same requests go to
 * soketi), its presence auth joins a presence channel, its medians and regression check compute what they
 * say. The scenarios themselves run under `npm run bench`, not here.
 */
import t from 'tap'
import { compare, TRACKED } from '../../bench/baseline.js'
import { closeClients, connectClient, signedPath, subscribe } from '../../bench/pusher.js'
import { APP } from '../../bench/servers.js'
import { median, medians, ratio } from '../../bench/table.js'
import { startServer } from '../helpers/server.js'

t.test('a signed trigger and a presence join of the bench are accepted', async (t) => {
  const server = await startServer(t, { apps: [{ ...APP }] })
  const url = `ws://127.0.0.1:${server.port}/app/${APP.key}?protocol=7`
  const client = await connectClient(url)
  t.teardown(() => { closeClients([client]) })
  await subscribe(client, 'presence-room', 'user-1')
  const received = new Promise<string>((resolve) => { client.socket.on('message', (raw) => { if (String(raw).includes('"tick"')) resolve(String(raw)) }) })
  const body = JSON.stringify({ name: 'tick', channel: 'presence-room', data: '{"i":1}' })
  const response = await server.app.inject({
    method: 'POST',
    url: signedPath('POST', `/apps/${APP.id}/events`, body),
    headers: { 'content-type': 'application/json' },
    payload: body
  })
  t.equal(response.statusCode, 200, response.body)
  t.match(await received, /"event":"tick","channel":"presence-room"/)

  const forged = signedPath('POST', `/apps/${APP.id}/events`, body).replace(/auth_signature=[0-9a-f]/, 'auth_signature=z')
  const refused = await server.app.inject({ method: 'POST', url: forged, headers: { 'content-type': 'application/json' }, payload: body })
  t.equal(refused.statusCode, 401, 'a wrong signature is refused, so the accepted one was checked')
})

t.test('medians and ratios', async (t) => {
  t.equal(median([3, 1, 2]), 2)
  t.equal(median([4, 1, 3, 2]), 2.5)
  t.ok(Number.isNaN(median([])))
  t.same(medians({ ours: [{ a: 1, b: 5 }, { a: 3 }, { a: 2, b: 7 }] }), { ours: { a: 2, b: 6 } })
  t.equal(ratio(3, 2), '1.50×')
  t.equal(ratio(3, undefined), '-')
})

t.test('the baseline check flags a figure more than 10 % worse, in the right direction', async (t) => {
  t.ok(TRACKED.includes('triggerRequestsPerSecond'))
  const { lines } = compare({ ours: { fanoutCpuPerDelivery: 1e9, triggerRequestsPerSecond: 1e9 } })
  const text = lines.join('\n')
  t.match(text, /REGRESSION fan-out: server CPU per delivery/, 'more CPU per delivery is worse')
  t.match(text, /ok {8} signed trigger: requests\/s/, 'more requests per second is not')
})
