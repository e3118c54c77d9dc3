/**
 * Requests shaped exactly like the Broadcastt PHP SDK's (broadcastt-php-http): `POST /event` with
 * `{name, data, channels, socket_id}`, `POST /events` with `{batch: [...]}`, `GET` with a JSON content type
 * and no body; PHP's `json_encode` escaping (`\/`, `\u00e9`), ksort-ed unescaped query strings with
 * `auth_signature` sorted in, and the empty `Expect:` header, which Node answers with 417 unless handled.
 * Sent over a raw socket so every byte is what the SDK sends.
 */
import { createHash } from 'node:crypto'
import { connect } from 'node:net'
import t from 'tap'
import { hmacSha256Hex } from '../../src/auth/hmac.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'
import { delivered, subscriber } from './helpers.js'

/** PHP's json_encode: escapes `/` and every non-ASCII character. */
function phpJson (value: unknown): string {
  return JSON.stringify(value).replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** buildAuthQueryString: ksort, `k=v` joined with `&` (arrays imploded with `,`), sign, add, ksort again. */
function phpQuery (method: string, path: string, params: Record<string, string>): string {
  const sorted = (p: Record<string, string>) => Object.keys(p).sort().map((k) => `${k}=${p[k] ?? ''}`).join('&')
  const all: Record<string, string> = {
    auth_key: TEST_APP.key, auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0', ...params
  }
  all.auth_signature = hmacSha256Hex(TEST_APP.secret, `${method}\n${path}\n${sorted(all)}`)
  return sorted(all)
}

interface RawResponse { status: number, body: string }

/** One HTTP/1.1 request over a raw socket, with the PHP SDK's headers. */
async function phpRequest (server: TestServer, method: string, route: string, body?: unknown, query: Record<string, string> = {}):
Promise<RawResponse> {
  const path = `/apps/${TEST_APP.id}${route}`
  const payload = body === undefined ? '' : phpJson(body)
  const params = body === undefined ? query : { ...query, body_md5: createHash('md5').update(payload).digest('hex') }
  const head = [`${method} ${path}?${phpQuery(method, path, params)} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`,
    'User-Agent: GuzzleHttp/7', 'Content-Type: application/json', 'Expect:', 'X-Library: broadcastt-php 0.2.1',
    ...(body === undefined ? [] : [`Content-Length: ${Buffer.byteLength(payload)}`]), 'Connection: close']
  const socket = connect(server.port, '127.0.0.1')
  socket.end(head.join('\r\n') + '\r\n\r\n' + payload)
  let raw = ''
  for await (const chunk of socket) raw += (chunk as Buffer).toString('utf8')
  const [headers = '', text = ''] = raw.split('\r\n\r\n')
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1])
  return { status, body: /transfer-encoding: chunked/i.test(headers) ? text.split('\r\n')[1] ?? '' : text }
}

t.test('trigger: POST /event with {name, data, channels, socket_id}', async (t) => {
  const server = await startServer(t)
  const sub = await subscriber(t, server, ['php-channel'])
  const sender = await subscriber(t, server, ['php-channel'])
  const data = phpJson({ message: 'hello/world é' })
  const response = await phpRequest(server, 'POST', '/event', { name: 'php-event', data, channels: ['php-channel'], socket_id: sender.socketId })
  t.same(response, { status: 200, body: '{}' })
  t.same(await delivered(sub), [{ event: 'php-event', channel: 'php-channel', data: '{"message":"hello\\/world \\u00e9"}' }],
    'data arrives byte for byte as the SDK encoded it')
  t.same(await delivered(sender), [], 'socket_id is excluded')
})

t.test('triggerBatch: POST /events with {batch: [...]}', async (t) => {
  const server = await startServer(t)
  const sub = await subscriber(t, server, ['test-channel', 'test-channel2'])
  const response = await phpRequest(server, 'POST', '/events', {
    batch: [
      { channel: 'test-channel', name: 'test-event', data: phpJson({ 'test-key': 'test-val' }) },
      { channel: 'test-channel2', name: 'test-event2', data: phpJson({ 'test-key': 'test-val2' }) }
    ]
  })
  t.same(response, { status: 200, body: '{}' })
  t.same(await delivered(sub), [
    { event: 'test-event', channel: 'test-channel', data: '{"test-key":"test-val"}' },
    { event: 'test-event2', channel: 'test-channel2', data: '{"test-key":"test-val2"}' }
  ])
})

t.test('get: GET with a JSON content type, no body and unescaped query values', async (t) => {
  const server = await startServer(t)
  await subscriber(t, server, ['php-a', 'php-b'])
  const response = await phpRequest(server, 'GET', '/channels', undefined, { filter_by_prefix: 'php-', info: 'subscription_count' })
  t.equal(response.status, 200)
  t.same(JSON.parse(response.body), { channels: { 'php-a': { subscription_count: 1 }, 'php-b': { subscription_count: 1 } } })
})

t.test('a real expectation still gets 417', async (t) => {
  const server = await startServer(t)
  const socket = connect(server.port, '127.0.0.1')
  socket.end('POST /apps/test-id/events HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}')
  let raw = ''
  for await (const chunk of socket) raw += (chunk as Buffer).toString('utf8')
  t.match(raw, /^HTTP\/1\.1 417 /)
})
