/**
 * The body of a REST request is read only after its app, key, timestamp and signature were checked (issue #7,
 * defect 5): a refused request is answered while the client is still sending its body, which is never read
 * (nor hashed), and the connection is closed rather than drained.
 */
import { request } from 'node:http'
import t from 'tap'
import { hmacSha256Hex, md5Hex } from '../../src/auth/hmac.js'
import { signatureBaseString, signRequest } from '../../src/auth/request-signature.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'
import { unescapedQuery } from './helpers.js'

const TOTAL = 1024 * 1024 - 1024
const SENT = 16 * 1024

/**
 * Announces a TOTAL-byte body, sends only SENT bytes of it and waits for the answer, which must therefore
 * come before the server has the body.
 */
function partialPost (server: TestServer, url: string): Promise<{ status: number, connection: string | undefined, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: server.port,
      method: 'POST',
      path: url,
      headers: { 'content-type': 'application/json', 'content-length': String(TOTAL) }
    }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => {
        req.destroy()
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body })
      })
    })
    req.on('error', reject)
    req.write(Buffer.alloc(SENT, 0x20))
  })
}

t.test('refused requests are answered before their body is read', async (t) => {
  const server = await startServer(t, {
    apps: [TEST_APP, { id: 'off', key: 'off-key', secret: 'off-secret', enabled: false }]
  })
  const path = `/apps/${TEST_APP.id}/events`
  const body = 'x'.repeat(TOTAL)
  const good = signRequest(TEST_APP, 'POST', path, {}, body)
  const cases: Array<[string, string, number, RegExp]> = [
    ['a wrong signature', `${path}?${unescapedQuery({ ...good, auth_signature: 'ab'.repeat(32) })}`, 401, /auth_signature does not match/],
    ['no signature', path, 401, /auth_key is missing/],
    ['another key', `${path}?${unescapedQuery(signRequest({ key: 'k2', secret: 's2' }, 'POST', path, {}, body))}`, 401,
      /auth_key k2 is not the key/],
    ['a stale timestamp', `${path}?${unescapedQuery(signRequest(TEST_APP, 'POST', path, {}, body, 1000))}`, 401, /auth_timestamp/],
    ['an unknown app id', `/apps/nobody/events?${unescapedQuery(good)}`, 404, /App nobody does not exist/],
    ['a disabled app', `/apps/off/events?${unescapedQuery(good)}`, 403, /App off is disabled/]
  ]
  for (const [what, url, status, message] of cases) {
    const response = await partialPost(server, url)
    t.equal(response.status, status, `${what}: ${status} with ${SENT} of ${TOTAL} body bytes sent`)
    t.match(JSON.parse(response.body), { message }, `${what}: says why`)
    t.equal(response.connection, 'close', `${what}: the connection is closed, not drained`)
  }
})

t.test('a correctly signed request still has its body checked against body_md5', async (t) => {
  const server = await startServer(t)
  const path = `/apps/${TEST_APP.id}/events`
  const body = JSON.stringify({ name: 'e', channel: 'c', data: '1' })
  const query = unescapedQuery(signRequest(TEST_APP, 'POST', path, {}, body))
  const send = async (sent: string) => await fetch(`http://127.0.0.1:${server.port}${path}?${query}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: sent
  })
  const tampered = await send(body.replace('"1"', '"2"'))
  t.equal(tampered.status, 401)
  t.match(await tampered.json(), { message: /body_md5 [0-9a-f]{32} does not match/ })
  t.equal((await send(body)).status, 200)
})

t.test('requests without a body: body_md5 is still checked, and a POST reads as {}', async (t) => {
  const server = await startServer(t)
  const status = (method: string, url: string, headers: Record<string, string>): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, method, path: url, headers }, (res) => {
        res.resume()
        res.on('end', () => { resolve(res.statusCode ?? 0) })
      })
      req.on('error', reject)
      req.end()
    })
  const terminate = `/apps/${TEST_APP.id}/users/u1/terminate_connections`
  const empty = md5Hex('')
  // No content type and no length (Fastify calls no body parser), a JSON type, and an explicit length of 0.
  for (const headers of [{}, { 'content-type': 'application/json' }, { 'content-type': 'application/json', 'content-length': '0' }]) {
    const shown = JSON.stringify(headers)
    t.equal(await status('POST', `${terminate}?${unescapedQuery(signRequest(TEST_APP, 'POST', terminate))}`, headers), 200,
      `a POST without a body is {} (${shown})`)
    t.equal(await status('POST', `${terminate}?${signedWithMd5('POST', terminate, empty)}`, headers), 200,
      `body_md5 of the empty body accepted (${shown})`)
    t.equal(await status('POST', `${terminate}?${signedWithMd5('POST', terminate, md5Hex('x'))}`, headers), 401,
      `a wrong body_md5 without a body is refused (${shown})`)
  }
  const channels = `/apps/${TEST_APP.id}/channels`
  for (const headers of [{}, { 'content-type': 'application/json' }]) {
    const shown = JSON.stringify(headers)
    t.equal(await status('GET', `${channels}?${signedWithMd5('GET', channels, empty)}`, headers), 200, `GET (${shown})`)
    t.equal(await status('GET', `${channels}?${signedWithMd5('GET', channels, md5Hex('x'))}`, headers), 401,
      `a GET with a wrong body_md5 is refused (${shown})`)
  }
})

/** A signed query carrying `body_md5` (which `signRequest` computes itself from a body, so it is added here). */
function signedWithMd5 (method: string, path: string, bodyMd5: string): string {
  const query: Record<string, string> = {
    auth_key: TEST_APP.key, auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0', body_md5: bodyMd5
  }
  query.auth_signature = hmacSha256Hex(TEST_APP.secret, signatureBaseString(method, path, query))
  return unescapedQuery(query)
}
