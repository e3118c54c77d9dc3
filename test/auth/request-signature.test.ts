import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import querystring from 'node:querystring'
import t, { type Test } from 'tap'
import fc from 'fast-check'
import Pusher from 'pusher'
import { hmacSha256Hex, md5Hex } from '../../src/auth/hmac.js'
import {
  canonicalQueryString, parseQueryString, REQUEST_AUTH_CODES, signatureBaseString, signRequest, verifyRequest, type QueryParams
} from '../../src/auth/request-signature.js'

const app = { key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' }
const vectorBody = '{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}'
const vectorTs = 1353088179
const vectorString = 'POST\n/apps/3/events\nauth_key=278d425bdf160c739803&auth_timestamp=1353088179' +
  '&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f'
const vectorSig = 'da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c'

interface Req { method: string, path: string, query: QueryParams, rawBody?: string }

function verify (req: Req, nowSeconds = vectorTs, secret = app.secret): ReturnType<typeof verifyRequest> {
  return verifyRequest({ app: { key: app.key, secret }, ...req, nowSeconds, windowSeconds: 600 })
}

function signed (method: string, path: string, query_: QueryParams = {}, body?: string, ts = vectorTs): Req {
  const query = signRequest(app, method, path, query_, body, ts)
  return { method, path, query, ...(body === undefined ? {} : { rawBody: body }) }
}

t.test('PROTOCOL §10 worked example', async (t) => {
  const query = signRequest(app, 'POST', '/apps/3/events', {}, vectorBody, vectorTs)
  t.same(query, {
    auth_key: app.key,
    auth_timestamp: String(vectorTs),
    auth_version: '1.0',
    body_md5: 'ec365a775a4cd0599faeb73354201b6f',
    auth_signature: vectorSig
  })
  t.equal(signatureBaseString('POST', '/apps/3/events', query), vectorString, 'auth_signature is left out')
  t.equal(hmacSha256Hex(app.secret, vectorString), vectorSig)
  t.same(verify({ method: 'POST', path: '/apps/3/events', query, rawBody: vectorBody }), { ok: true })
  t.same(verify({ method: 'post', path: '/apps/3/events', query, rawBody: Buffer.from(vectorBody).toString() }),
    { ok: true }, 'method case does not matter')
})

t.test('signatureBaseString', async (t) => {
  t.equal(signatureBaseString('get', '/p', {}), 'GET\n/p\n', 'no parameters')
  t.equal(signatureBaseString('GET', '/p', { b: '2', Zeta: '3', A: '1', AUTH_SIGNATURE: 'x', auth_signature: 'y' }),
    'GET\n/p\na=1&b=2&zeta=3', 'keys lower-cased before sorting; auth_signature in any case left out')
  t.equal(signatureBaseString('GET', '/p', { info: ['user_count', 'subscription_count'], a: '1' }),
    'GET\n/p\na=1&info=user_count,subscription_count', 'repeated keys joined with ,')
  t.equal(signatureBaseString('GET', '/p', { 'Ids[]': ['7', '9'], ids: '1' }),
    'GET\n/p\nids=1&ids[]=7,9', 'k[] keys kept as sent (lower-cased), separate from k')
  t.equal(signatureBaseString('GET', '/p', { filter_by_prefix: 'presence a,b&c=d%20' }),
    'GET\n/p\nfilter_by_prefix=presence a,b&c=d%20', 'values are not URL-escaped')
  t.equal(signatureBaseString('GET', '/p', { a: undefined, b: '' }), 'GET\n/p\nb=', 'undefined skipped, empty kept')
  t.equal(signatureBaseString('GET', '/p', { X: '1', x: '2' }), 'GET\n/p\nx=1,2', 'keys equal once lower-cased merge')
  t.equal(signatureBaseString('GET', '/a%20b/c', {}), 'GET\n/a%20b/c\n', 'the path is used as sent')
})

t.test('signRequest', async (t) => {
  const q = signRequest(app, 'GET', '/apps/3/channels', { filter_by_prefix: 'presence-', info: ['user_count'] },
    undefined, 100.9)
  t.equal(q.auth_timestamp, '100')
  t.notOk('body_md5' in q, 'no body_md5 without a body')
  t.notOk('body_md5' in signRequest(app, 'POST', '/p', {}, '', 100), 'nor for an empty body')
  t.same(q.info, ['user_count'])
  const now = Math.floor(Date.now() / 1000)
  const fresh = signRequest(app, 'GET', '/p')
  t.ok(Math.abs(Number(fresh.auth_timestamp) - now) <= 1, 'defaults to the current time')
  for (const key of ['auth_key', 'Auth_Timestamp', 'auth_version', 'auth_signature', 'body_md5']) {
    t.throws(() => signRequest(app, 'GET', '/p', { [key]: 'x' }), TypeError, `refuses ${key} in the query`)
  }
})

t.test('codes are stable strings', async (t) => {
  t.same(Object.values(REQUEST_AUTH_CODES).sort(), [
    'auth_version', 'body_md5_mismatch', 'invalid_auth_key', 'invalid_signature', 'missing_auth_params',
    'missing_body_md5', 'stale_timestamp'
  ])
})

t.test('missing or repeated auth parameters', async (t) => {
  const good = signed('GET', '/apps/3/channels')
  for (const name of ['auth_key', 'auth_timestamp', 'auth_version', 'auth_signature']) {
    const { [name]: _dropped, ...rest } = good.query
    const res = verify({ ...good, query: rest })
    t.match(res, { ok: false, code: 'missing_auth_params', message: `the query parameter ${name} is missing` }, name)
    t.match(verify({ ...good, query: { ...good.query, [name]: '' } }), { code: 'missing_auth_params' }, `${name} empty`)
  }
  t.match(verify({ ...good, query: { ...good.query, auth_key: [app.key, app.key] } }),
    { ok: false, code: 'missing_auth_params', message: 'the query parameter auth_key was sent 2 times; send it once' })
})

t.test('auth_key and auth_version', async (t) => {
  const good = signed('GET', '/apps/3/channels')
  t.match(verify({ ...good, query: { ...good.query, auth_key: 'nope' } }),
    { ok: false, code: 'invalid_auth_key', message: 'auth_key nope is not the key of this app' })
  t.match(verify({ ...good, query: { ...good.query, auth_version: '1.1' } }),
    { ok: false, code: 'auth_version', message: 'auth_version must be 1.0, got 1.1' })
})

t.test('timestamp window', async (t) => {
  const req = signed('GET', '/apps/3/channels', {}, undefined, vectorTs)
  t.same(verify(req, vectorTs + 600), { ok: true }, '+600 s accepted')
  t.same(verify(req, vectorTs - 600), { ok: true }, '-600 s accepted')
  t.same(verify(req, vectorTs + 600.9), { ok: true }, 'fractions of the server clock are dropped')
  t.match(verify(req, vectorTs + 601), { ok: false, code: 'stale_timestamp' }, '+601 s refused')
  t.match(verify(req, vectorTs - 601), { ok: false, code: 'stale_timestamp' }, '-601 s refused')
  t.same(verify(req, vectorTs + 4200), {
    ok: false,
    code: 'stale_timestamp',
    message: 'auth_timestamp 1353088179 is 4200 s away from the server clock; the window is ±600 s'
  })
  for (const ts of ['1353088179.5', '1.353088179e9', '-5', 'abc', ' 1353088179', '0x50a6f0b3']) {
    t.match(verify({ ...req, query: { ...req.query, auth_timestamp: ts } }), {
      ok: false, code: 'stale_timestamp', message: `auth_timestamp ${ts} is not an integer number of Unix seconds`
    }, `refuses ${JSON.stringify(ts)}`)
  }
})

t.test('body_md5', async (t) => {
  const body = '{"name":"e","channel":"c","data":"x"}'
  const unsignedBody = signed('POST', '/apps/3/events')
  t.match(verify({ ...unsignedBody, rawBody: body }), {
    ok: false, code: 'missing_body_md5', message: 'the request has a body but no body_md5 query parameter'
  })
  t.same(verify({ ...unsignedBody, rawBody: '' }), { ok: true }, 'an empty body needs no body_md5')
  t.same(verify(unsignedBody), { ok: true }, 'nor does an absent one')

  const req = signed('POST', '/apps/3/events', {}, body)
  t.same(verify(req), { ok: true })
  t.same(verify({ ...req, rawBody: Buffer.from(body) } as unknown as Req), { ok: true }, 'a Buffer body')
  const tampered = body.replace('"x"', '"y"')
  t.match(verify({ ...req, rawBody: tampered }), {
    ok: false,
    code: 'body_md5_mismatch',
    message: `body_md5 ${md5Hex(body)} does not match the MD5 of the ${body.length}-byte body (${md5Hex(tampered)})`
  })
  t.match(verify({ ...req, rawBody: '' }), { ok: false, code: 'body_md5_mismatch' }, 'body_md5 with no body')
  t.match(verify({ ...req, query: { ...req.query, body_md5: md5Hex(tampered) }, rawBody: tampered }),
    { ok: false, code: 'invalid_signature' }, 'a recomputed body_md5 breaks the signature')
})

t.test('invalid signatures', async (t) => {
  const req = signed('GET', '/apps/3/channels', { filter_by_prefix: 'presence-', info: 'user_count' })
  t.same(verify(req), { ok: true })
  const res = verify(req, vectorTs, 'another-secret')
  t.match(res, { ok: false, code: 'invalid_signature' }, 'another secret')
  t.equal(res.ok ? '' : res.message,
    'auth_signature does not match; expected the hex HMAC-SHA256 of ' +
    JSON.stringify(signatureBaseString('GET', '/apps/3/channels', req.query)) + ' with the app secret',
    'the message shows the signed string, never the expected signature')
  const variants: Array<[string, Partial<Req>]> = [
    ['a changed query value', { query: { ...req.query, info: 'subscription_count' } }],
    ['an added parameter', { query: { ...req.query, extra: '1' } }],
    ['a removed parameter', { query: { ...req.query, filter_by_prefix: undefined } }],
    ['another path', { path: '/apps/4/channels' }],
    ['another method', { method: 'POST' }],
    ['a flipped signature digit', {
      query: {
        ...req.query,
        auth_signature: String(req.query.auth_signature).replace(/.$/, (c) => c === '0' ? '1' : '0')
      }
    }],
    ['a truncated signature', { query: { ...req.query, auth_signature: String(req.query.auth_signature).slice(1) } }]
  ]
  for (const [name, change] of variants) {
    t.match(verify({ ...req, ...change }), { ok: false, code: 'invalid_signature' }, name)
  }
})

interface Captured { method: string, path: string, query: QueryParams, body: string }

/** A local HTTP server that records what the pusher SDK sends and answers `{}`. */
async function captureServer (t: Test): Promise<{ port: number, requests: Captured[] }> {
  const requests: Captured[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = req.url ?? ''
      const q = url.indexOf('?')
      requests.push({
        method: req.method ?? '',
        path: q < 0 ? url : url.slice(0, q),
        query: querystring.parse(q < 0 ? '' : url.slice(q + 1)),
        body: Buffer.concat(chunks).toString('utf8')
      })
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return { port: (server.address() as AddressInfo).port, requests }
}

t.test('requests sent by the pusher server SDK verify', async (t) => {
  const { port, requests } = await captureServer(t)
  const pusher = new Pusher({ appId: '3', key: app.key, secret: app.secret, host: '127.0.0.1', port: String(port) })
  await pusher.trigger(['private-a', 'presence-b'], 'my-event', { text: 'héllo, world' },
    { socket_id: '1.2', info: 'user_count' })
  await pusher.triggerBatch([{ channel: 'c', name: 'e', data: 'x' }])
  await pusher.get({
    path: '/channels',
    params: { filter_by_prefix: 'presence-', info: 'user_count,subscription_count' }
  })
  await pusher.get({ path: '/channels/presence-b/users' })
  await pusher.terminateUserConnections('7')
  t.equal(requests.length, 5)
  const now = Math.floor(Date.now() / 1000)
  for (const r of requests) {
    const req: Req = { method: r.method, path: r.path, query: r.query, rawBody: r.body }
    const name = `${r.method} ${r.path}`
    t.same(verify(req, now), { ok: true }, name)
    if (r.body.length > 0) {
      const flipped = r.body.slice(0, -1) + (r.body.endsWith('}') ? ']' : '}')
      t.match(verify({ ...req, rawBody: flipped }, now), { ok: false, code: 'body_md5_mismatch' }, `${name}: body byte`)
      t.match(verify({ ...req, rawBody: flipped, query: { ...r.query, body_md5: md5Hex(flipped) } }, now),
        { ok: false, code: 'invalid_signature' }, `${name}: body byte and body_md5`)
    }
    for (const key of Object.keys(r.query).filter((k) => k !== 'auth_signature' && k !== 'body_md5')) {
      const value = String(r.query[key])
      const changed = value.slice(0, -1) + (value.endsWith('1') ? '2' : '1')
      const res = verify({ ...req, query: { ...r.query, [key]: changed } }, now)
      t.equal(res.ok, false, `${name}: one byte of ${key}`)
    }
  }
  t.match(requests[0], { method: 'POST', path: '/apps/3/events', query: { socket_id: undefined } },
    'the SDK puts trigger params in the body')
  t.match(requests[2], { method: 'GET', path: '/apps/3/channels', query: { filter_by_prefix: 'presence-' } })
})

t.test('createSignedQueryString of the pusher SDK (values with spaces, commas and arrays)', async (t) => {
  const pusher = new Pusher({ appId: '3', key: app.key, secret: app.secret, host: '127.0.0.1' })
  const body = JSON.stringify({ name: 'e', channel: 'c', data: 'x' })
  const qs = pusher.createSignedQueryString({
    method: 'GET',
    path: '/apps/3/channels',
    params: { filter_by_prefix: 'presence a,b', info: ['user_count', 'subscription_count'] },
    body
  })
  // The SDK leaves values unescaped in the query string; encode spaces as an HTTP client would.
  const query = querystring.parse(qs.replaceAll(' ', '%20'))
  t.equal(query.filter_by_prefix, 'presence a,b')
  t.equal(query.info, 'user_count,subscription_count', 'the SDK sends an array as a,b')
  const req: Req = { method: 'GET', path: '/apps/3/channels', query, rawBody: body }
  const now = Math.floor(Date.now() / 1000)
  t.same(verify(req, now), { ok: true })
  t.same(verify({ ...req, query: { ...query, info: ['user_count', 'subscription_count'] } }, now),
    { ok: true }, 'the same values as a repeated key sign the same')
  t.match(verify({ ...req, query: { ...query, filter_by_prefix: 'presence a;b' } }, now),
    { ok: false, code: 'invalid_signature' })
})

t.test('parseQueryString decodes exactly as URLSearchParams does', async (t) => {
  const reference = (text: string): Record<string, string | string[]> => {
    const out = Object.create(null) as Record<string, string | string[]>
    for (const [key, value] of new URLSearchParams(text)) {
      const seen = out[key]
      out[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value]
    }
    return out
  }
  const same = (text: string): boolean =>
    JSON.stringify(Object.entries(parseQueryString(text) ?? {})) === JSON.stringify(Object.entries(reference(text)))
  for (const text of ['', '&', '&&a=1&&', 'a', 'a=', '=1', '=', 'a=1=2', 'a=1&a=2&a=3', 'a=%20b', 'a=b+c', 'a%=1',
    '%E2%9C%93=%FF', '__proto__=1&constructor=2&toString=3', 'k[]=1&k[]=2', 'a=1&A=2']) {
    t.ok(same(text), JSON.stringify(text))
  }
  t.equal(Object.getPrototypeOf(parseQueryString('a=1') ?? {}), null, 'an object without a prototype')
  const piece = fc.oneof(fc.constantFrom('&', '=', '%', '+', '?', '%2', '%20', '%zz', 'a', 'B', '[]', '__proto__', 'é', ' '),
    fc.string(), fc.string({ unit: 'binary' }))
  fc.assert(fc.property(fc.array(piece, { maxLength: 12 }).map((parts) => parts.join('')), same), { seed: 20261130, numRuns: 5000 })
})

t.test('canonicalQueryString: the raw query as it stands, only when it equals the built signed query', async (t) => {
  const built = (text: string): string => signatureBaseString('POST', '/p', parseQueryString(text) ?? {}).slice('POST\n/p\n'.length)
  const vector = 'auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f'
  t.equal(canonicalQueryString(`${vector}&auth_signature=${vectorSig}`), vector, 'the SDKs\' order: auth_signature last, dropped')
  t.equal(canonicalQueryString(`auth_signature=${vectorSig}&${vector}`), vector, 'auth_signature first')
  t.equal(canonicalQueryString('auth_key=k&auth_signature=s&auth_timestamp=1'), 'auth_key=k&auth_timestamp=1', 'in the middle')
  t.equal(canonicalQueryString('auth_signature=s'), '', 'alone')
  for (const text of ['', 'b=1&a=2', 'a=1&a=2', 'A=1', 'a', 'a=1&&b=2', 'a=1&', '=1', 'a=%20', 'a=b+c', 'a=é',
    '?a=1', 'auth_signature=1&auth_signature=2']) {
    t.equal(canonicalQueryString(text), undefined, `${JSON.stringify(text)} is built instead`)
  }
  const key = fc.constantFrom('', 'a', 'b', 'B', 'auth_key', 'auth_signature', 'auth_timestamp', 'body_md5', 'info', 'x[]')
  const value = fc.constantFrom('', '1', 'v=w', 'Z', ',', '%41', '+')
  const param = fc.oneof(fc.tuple(key, value).map(([k, v]) => `${k}=${v}`), key, fc.constant(''))
  const query = fc.tuple(fc.array(param, { maxLength: 6 }), fc.boolean())
    .map(([params, sorted]) => (sorted ? [...params].sort() : params).join('&'))
  let fast = 0
  fc.assert(fc.property(query, (text) => {
    const canonical = canonicalQueryString(text)
    if (canonical === undefined) return true
    fast++
    return canonical === built(text)
  }), { seed: 20261203, numRuns: 20000 })
  t.ok(fast > 300, `the canonical path answered for ${fast} of the generated queries`)
})
