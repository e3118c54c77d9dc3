/**
 * The signature hook end to end (PROTOCOL.md §10): the worked example verbatim, then every way a request
 * can fail it (401), unknown (404) and disabled (403) apps, malformed JSON, the body limit, and bodies sent
 * with other content types. Each refusal delivers nothing.
 */
import { createHash } from 'node:crypto'
import t from 'tap'
import { hmacSha256Hex } from '../../src/auth/hmac.js'
import { signatureBaseString, signRequest } from '../../src/auth/request-signature.js'
import { systemClock } from '../../src/hub/heartbeat.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { assertRefused, delivered, send, signed, subscriber, unescapedQuery } from './helpers.js'

const EXAMPLE_APP = { id: '3', key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' }
const EXAMPLE_BODY = '{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}'
const EXAMPLE_TIME = 1353088179

t.test('the worked example of PROTOCOL.md §10 is accepted as is', async (t) => {
  const clock = { ...systemClock, now: () => EXAMPLE_TIME * 1000 }
  const server = await startServer(t, { apps: [EXAMPLE_APP], clock })
  const sub = await subscriber(t, server, ['project-3'], EXAMPLE_APP.key)
  const url = '/apps/3/events?auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0' +
    '&body_md5=ec365a775a4cd0599faeb73354201b6f' +
    '&auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c'
  const response = await send(server, 'POST', url, EXAMPLE_BODY)
  t.same([response.status, response.body], [200, {}])
  t.same(await delivered(sub), [{ event: 'foo', channel: 'project-3', data: '{"some":"data"}' }])
  const late = { ...clock, now: () => (EXAMPLE_TIME + 601) * 1000 }
  const stale = await startServer(t, { apps: [EXAMPLE_APP], clock: late })
  assertRefused(t, await send(stale, 'POST', url, EXAMPLE_BODY), 401, 'FST_BROADCASTT_UNAUTHORIZED', /601 s away from the server clock; the window is ±600 s/)
})

t.test('signature failures are 401 and deliver nothing', async (t) => {
  const server = await startServer(t, { apps: [TEST_APP, { id: 'other', key: 'other-key', secret: 'other-secret' }] })
  const sub = await subscriber(t, server, ['sig'])
  const body = JSON.stringify({ name: 'e', channel: 'sig', data: '1' })
  const path = '/apps/test-id/events'
  const good = signRequest(TEST_APP, 'POST', path, {}, body)
  const now = Math.floor(Date.now() / 1000)
  const cases: Array<[string, Record<string, string | readonly string[]>, string, RegExp]> = [
    ['no signature at all', {}, body, /auth_key is missing/],
    ['no auth_signature', { ...good, auth_signature: '' }, body, /auth_signature is missing/],
    ['a wrong signature', { ...good, auth_signature: 'ab'.repeat(32) }, body, /auth_signature does not match/],
    ['another app\'s key', signRequest({ key: 'other-key', secret: 'other-secret' }, 'POST', path, {}, body), body, /auth_key other-key is not the key of this app/],
    ['a stale timestamp', signRequest(TEST_APP, 'POST', path, {}, body, now - 601), body, /the window is ±600 s/],
    ['a future timestamp', signRequest(TEST_APP, 'POST', path, {}, body, now + 900), body, /the window is ±600 s/],
    ['no body_md5 with a body', signRequest(TEST_APP, 'POST', path, {}, undefined), body, /has a body but no body_md5/],
    ['a body that is not the signed one', good, body.replace('"1"', '"2"'), /body_md5 [0-9a-f]{32} does not match/],
    ['a signature for another path', signRequest(TEST_APP, 'POST', '/apps/test-id/event', {}, body), body, /auth_signature does not match/],
    ['a signature for another method', signRequest(TEST_APP, 'PUT', path, {}, body), body, /auth_signature does not match/]
  ]
  for (const [what, query, sent, message] of cases) {
    assertRefused(t, await send(server, 'POST', `${path}?${unescapedQuery(query)}`, sent), 401, 'FST_BROADCASTT_UNAUTHORIZED', message)
    t.same(await delivered(sub), [], `${what}: nothing delivered`)
  }
  const ok = await send(server, 'POST', `${path}?${unescapedQuery(good)}`, body)
  t.equal(ok.status, 200, 'the good request passes')
  t.same((await delivered(sub)).map((f) => f.event), ['e'], 'and only it is delivered')
})

t.test('the timestamp window is the app\'s limits.authTimestampWindowSeconds', async (t) => {
  const server = await startServer(t, { apps: [{ ...TEST_APP, limits: { authTimestampWindowSeconds: 30 } }] })
  const sub = await subscriber(t, server, ['window'])
  const body = JSON.stringify({ name: 'e', channel: 'window', data: '1' })
  const path = '/apps/test-id/events'
  const now = Math.floor(Date.now() / 1000)
  const late = signRequest(TEST_APP, 'POST', path, {}, body, now - 40)
  assertRefused(t, await send(server, 'POST', `${path}?${unescapedQuery(late)}`, body), 401, 'FST_BROADCASTT_UNAUTHORIZED', /the window is ±30 s/)
  t.same(await delivered(sub), [], 'nothing delivered')
  const recent = signRequest(TEST_APP, 'POST', path, {}, body, now - 20)
  t.equal((await send(server, 'POST', `${path}?${unescapedQuery(recent)}`, body)).status, 200, 'within 30 s passes')
})

t.test('GET requests: the signature covers every query parameter', async (t) => {
  const server = await startServer(t)
  await subscriber(t, server, ['q-1'])
  const query = { filter_by_prefix: 'q-', info: 'subscription_count' }
  const ok = await signed(server, 'GET', '/channels', { query })
  t.same([ok.status, ok.body], [200, { channels: { 'q-1': { subscription_count: 1 } } }], 'unescaped comma in info')
  const base = signRequest(TEST_APP, 'GET', '/apps/test-id/channels', query)
  const tampered = unescapedQuery({ ...base, filter_by_prefix: 'r-' })
  assertRefused(t, await send(server, 'GET', `/apps/test-id/channels?${tampered}`), 401, 'FST_BROADCASTT_UNAUTHORIZED', /does not match/)
  const added = `${unescapedQuery(base)}&extra=1`
  assertRefused(t, await send(server, 'GET', `/apps/test-id/channels?${added}`), 401, 'FST_BROADCASTT_UNAUTHORIZED', /does not match/)
})

t.test('keys are lower-cased and repeated keys or k[] arrays joined with commas', async (t) => {
  const server = await startServer(t)
  const now = String(Math.floor(Date.now() / 1000))
  const path = '/apps/test-id/channels'
  const auth = { auth_key: TEST_APP.key, auth_timestamp: now, auth_version: '1.0' }
  const sign = (query: Record<string, string | string[]>): string =>
    hmacSha256Hex(TEST_APP.secret, signatureBaseString('GET', path, query))
  // A repeated key is signed as `k=a,b` (the route ignores parameters it does not know).
  const repeated = `${unescapedQuery(auth)}&trace=a&trace=b&auth_signature=${sign({ ...auth, trace: ['a', 'b'] })}`
  t.equal((await send(server, 'GET', `${path}?${repeated}`)).status, 200, 'repeated keys')
  const wrong = `${unescapedQuery(auth)}&trace=a&trace=b&auth_signature=${sign({ ...auth, trace: 'a' })}`
  assertRefused(t, await send(server, 'GET', `${path}?${wrong}`), 401, 'FST_BROADCASTT_UNAUTHORIZED', /trace=a,b/)
  // An upper-case key is signed lower-cased (and is then unknown to the route, which ignores it).
  const upper = `${unescapedQuery(auth)}&Extra=Value&auth_signature=${sign({ ...auth, extra: 'Value' })}`
  t.equal((await send(server, 'GET', `${path}?${upper}`)).status, 200, 'upper-case key signed lower-cased')
  const arrays = `${unescapedQuery(auth)}&tags[]=a&tags[]=b&auth_signature=${sign({ ...auth, 'tags[]': ['a', 'b'] })}`
  t.equal((await send(server, 'GET', `${path}?${arrays}`)).status, 200, 'k[] arrays')
})

t.test('unknown app 404, disabled app 403, unknown route 404', async (t) => {
  const server = await startServer(t, { apps: [TEST_APP, { id: 'off', key: 'off-key', secret: 'off-secret', enabled: false }] })
  const body = { name: 'e', channel: 'x', data: '1' }
  assertRefused(t, await signed(server, 'POST', '/events', { app: { ...TEST_APP, id: 'nope' }, body }), 404, 'FST_BROADCASTT_UNKNOWN_APP', /App nope does not exist/)
  assertRefused(t, await signed(server, 'POST', '/events', { app: { id: 'off', key: 'off-key', secret: 'off-secret' }, body }), 403, 'FST_BROADCASTT_APP_DISABLED', /App off is disabled/)
  assertRefused(t, await signed(server, 'GET', '/nothing-here'), 404, 'FST_BROADCASTT_NOT_FOUND', /Route GET \/apps\/test-id\/nothing-here not found/)
})

t.test('malformed JSON is 400, a body over the REST body limit is 413', async (t) => {
  const server = await startServer(t, { rest: { bodyLimit: 2048 } })
  const sub = await subscriber(t, server, ['j'])
  assertRefused(t, await signed(server, 'POST', '/events', { body: '{"name":"e",' }), 400, 'FST_BROADCASTT_INVALID_JSON', /not valid JSON/)
  const big = JSON.stringify({ name: 'e', channel: 'j', data: 'x'.repeat(2100) })
  assertRefused(t, await signed(server, 'POST', '/events', { body: big }), 413, 'FST_BROADCASTT_BODY_TOO_LARGE', /larger than 2048 bytes/)
  t.same(await delivered(sub), [], 'nothing delivered')
})

t.test('bodies sent without a JSON content type are read as JSON', async (t) => {
  const server = await startServer(t)
  const sub = await subscriber(t, server, ['ct'])
  for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=utf-8']) {
    const response = await signed(server, 'POST', '/events', { body: { name: type, channel: 'ct', data: '1' }, headers: { 'content-type': type } })
    t.equal(response.status, 200, type)
  }
  t.same((await delivered(sub)).map((f) => f.event), ['application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=utf-8'])
  // body_md5 is over the raw UTF-8 bytes: a body with multi-byte characters is signed and checked alike.
  const utf8 = JSON.stringify({ name: 'é', channel: 'ct', data: 'ü€' })
  const query = signRequest(TEST_APP, 'POST', '/apps/test-id/events', {}, utf8)
  t.equal(query.body_md5, createHash('md5').update(Buffer.from(utf8, 'utf8')).digest('hex'), 'the md5 of the UTF-8 bytes')
  t.equal((await send(server, 'POST', `/apps/test-id/events?${unescapedQuery(query)}`, utf8)).status, 200)
  t.same(await delivered(sub), [{ event: 'é', channel: 'ct', data: 'ü€' }])
})

t.test('a query in the signed order is verified as it stands, any other order as rebuilt: both answer alike', async (t) => {
  const server = await startServer(t)
  const sub = await subscriber(t, server, ['order'])
  const body = JSON.stringify({ name: 'e', channel: 'order', data: '1' })
  const path = '/apps/test-id/events'
  const query = signRequest(TEST_APP, 'POST', path, {}, body)
  const pairs = Object.entries(query).map(([key, value]) => `${key}=${String(value)}`)
  const orders: Array<[string, string[]]> = [
    ['the SDKs\' order, auth_signature last', pairs],
    ['auth_signature first', [pairs[pairs.length - 1] ?? '', ...pairs.slice(0, -1)]],
    ['reversed', [...pairs].reverse()]
  ]
  for (const [what, order] of orders) {
    t.equal((await send(server, 'POST', `${path}?${order.join('&')}`, body)).status, 200, what)
    const tampered = order.map((pair) => pair.startsWith('auth_timestamp=') ? `${pair.slice(0, -1)}${(Number(pair.slice(-1)) + 1) % 10}` : pair)
    assertRefused(t, await send(server, 'POST', `${path}?${tampered.join('&')}`, body), 401, 'FST_BROADCASTT_UNAUTHORIZED', /does not match/)
  }
  t.equal((await delivered(sub)).length, orders.length, 'one delivery per accepted request, none for the refused ones')
})
