/**
 * Who gets into the console: 401 and a login form (no app data) without the token; Bearer, the login form
 * and `?token=` (then dropped from the address) with it; sessions that expire and cannot be forged; and
 * the rate limits on requests and on wrong tokens.
 */
import t from 'tap'
import Fastify from 'fastify'
import broadcastt from '../../src/index.js'
import { AddressRate } from '../../src/console/rate.js'
import { cookieValue, SESSION_COOKIE, SESSION_SECONDS } from '../../src/console/auth.js'
import { LOGIN_RATE, REQUEST_RATE } from '../../src/console/routes.js'
import { consolePage, loginPage } from '../../src/console/page.js'
import { TEST_APP } from '../helpers/server.js'
import { BEARER, startConsole, TOKEN } from './helpers.js'

/** A clock whose time stands still (the liveness timers are real). */
const frozenClock = (at = Date.now()) => ({
  now: () => at,
  setInterval: (fn: () => void, ms: number) => setInterval(fn, ms),
  clearInterval: (timer: never) => { clearInterval(timer) }
})

const form = (token: string): RequestInit => ({
  method: 'POST',
  redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ token }).toString()
})

t.test('without the token: 401, a login form, and nothing about the apps', async (t) => {
  const server = await startConsole(t)
  const page = await fetch(server.base)
  t.equal(page.status, 401)
  const html = await page.text()
  t.match(html, /<form method="post" action="\/console\/login">/)
  t.match(html, /<label for="token">Console token<\/label>/, 'the input has a label')
  for (const secret of [TEST_APP.id, TEST_APP.key, TEST_APP.secret]) t.notMatch(html, secret, `the page does not name ${secret}`)
  t.match(page.headers.get('content-security-policy'), /default-src 'none'; script-src 'self'/)
  for (const path of ['/api/apps', `/api/stream?app=${TEST_APP.id}`]) {
    const answer = await fetch(server.base + path)
    t.equal(answer.status, 401, `${path} is refused`)
    const body = await answer.json() as { code: string }
    t.equal(body.code, 'FST_BROADCASTT_UNAUTHORIZED')
    t.notMatch(JSON.stringify(body), TEST_APP.id)
  }
  const trigger = await fetch(`${server.base}/api/apps/${TEST_APP.id}/events`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'e', channel: 'c', data: '{}' })
  })
  t.equal(trigger.status, 401, 'the trigger form\'s route too')
  const wrong = await fetch(server.base + '/api/apps', { headers: { authorization: `Bearer ${TOKEN}x` } })
  t.equal(wrong.status, 401, 'a wrong Bearer token')
})

t.test('Authorization: Bearer opens the page and the API', async (t) => {
  const server = await startConsole(t)
  const page = await fetch(server.base, { headers: BEARER })
  t.equal(page.status, 200)
  const wrongPage = await fetch(server.base, { headers: { authorization: 'Bearer not-the-console-token' } })
  t.equal(wrongPage.status, 401, 'a wrong Bearer token gets the login page')
  t.match(await wrongPage.text(), /That token is not the console's token/)
  t.match(await page.text(), /<div id="console" data-base="\/console">/)
  const apps = await fetch(server.base + '/api/apps', { headers: BEARER })
  t.equal(apps.status, 200)
  t.match(await apps.json(), { node: { adapter: 'memory' }, apps: [{ id: TEST_APP.id, key: TEST_APP.key, connections: 0 }] })
})

t.test('?token= logs in once and leaves the address bar; the cookie is HttpOnly and SameSite=Strict', async (t) => {
  const server = await startConsole(t)
  const first = await fetch(`${server.base}?token=${TOKEN}`, { redirect: 'manual' })
  t.equal(first.status, 303)
  t.equal(first.headers.get('location'), '/console', 'redirected to the address without the token')
  const setCookie = first.headers.get('set-cookie') ?? ''
  t.match(setCookie, new RegExp(`^${SESSION_COOKIE}=\\d+\\.[0-9a-f]{64}; Path=/console; Max-Age=${SESSION_SECONDS}; HttpOnly; SameSite=Strict$`))
  t.notMatch(setCookie, TOKEN, 'the cookie does not hold the token')
  const cookie = setCookie.split(';')[0] ?? ''
  const page = await fetch(server.base, { headers: { cookie } })
  t.equal(page.status, 200)
  t.equal((await fetch(server.base + '/api/apps', { headers: { cookie } })).status, 200, 'the cookie opens the API')
  const bad = await fetch(`${server.base}?token=not-the-token-at-all`, { redirect: 'manual' })
  t.equal(bad.status, 401)
  t.match(await bad.text(), /role="alert">That token is not the console's token/)
  t.equal(bad.headers.get('set-cookie'), null)
})

t.test('the login form sets the session; logout removes it; a forged or expired cookie is refused', async (t) => {
  let now = Date.parse('2026-01-01T00:00:00Z')
  const clock = { ...frozenClock(), now: () => now }
  const server = await startConsole(t, { clock })
  const login = await fetch(server.base + '/login', form(TOKEN))
  t.equal(login.status, 303)
  t.equal(login.headers.get('location'), '/console')
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  t.equal((await fetch(server.base + '/api/apps', { headers: { cookie } })).status, 200)

  const wrong = await fetch(server.base + '/login', form('a-wrong-token-of-length'))
  t.equal(wrong.status, 401)
  t.equal((await fetch(server.base + '/login', { method: 'POST', redirect: 'manual' })).status, 401, 'no body at all')

  const [expires, mac] = (cookieValue(cookie, SESSION_COOKIE) ?? '').split('.')
  const forged = `${SESSION_COOKIE}=${Number(expires) + 60}.${mac ?? ''}`
  t.equal((await fetch(server.base + '/api/apps', { headers: { cookie: forged } })).status, 401, 'a later expiry with the old MAC')
  t.equal((await fetch(server.base + '/api/apps', { headers: { cookie: `${SESSION_COOKIE}=junk` } })).status, 401)
  t.equal((await fetch(server.base + '/api/apps', { headers: { cookie: `other=1; ${cookie}` } })).status, 200, 'among other cookies')

  now += (SESSION_SECONDS + 1) * 1000
  t.equal((await fetch(server.base + '/api/apps', { headers: { cookie } })).status, 401, 'expired after 12 h')

  const logout = await fetch(server.base + '/logout', { method: 'POST', redirect: 'manual' })
  t.equal(logout.status, 303)
  t.match(logout.headers.get('set-cookie'), new RegExp(`^${SESSION_COOKIE}=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict$`))
})

t.test('behind a TLS proxy the cookie is Secure; the console lives under the prefix at its path', async (t) => {
  const app = Fastify({ logger: false, trustProxy: true })
  await app.register(broadcastt, { apps: [TEST_APP], prefix: '/rt', console: { enabled: true, token: TOKEN, path: '/debug' } })
  const answer = await app.inject({ url: `/rt/debug?token=${TOKEN}`, headers: { 'x-forwarded-proto': 'https' } })
  t.equal(answer.statusCode, 303)
  t.equal(answer.headers.location, '/rt/debug')
  t.match(answer.headers['set-cookie'], /; Path=\/rt\/debug; .*; SameSite=Strict; Secure$/)
  t.equal((await app.inject({ url: '/console' })).statusCode, 404, 'not at the default path')
  await app.close()
})

t.test('a host\'s own form parser is used for the login; the base path is escaped in the pages', async (t) => {
  const app = Fastify({ logger: false })
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, { ...Object.fromEntries(new URLSearchParams(body as string)), parsedBy: 'host' })
  })
  await app.register(broadcastt, { apps: [TEST_APP], console: { enabled: true, token: TOKEN } })
  t.teardown(() => app.close())
  const login = await app.inject({ method: 'POST', url: '/console/login', payload: `token=${TOKEN}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(login.statusCode, 303)
  t.equal(loginPage('/a"b<c>&\'', false).includes('action="/a&quot;b&lt;c&gt;&amp;&#39;/login"'), true)
  t.match(consolePage('/x"y'), 'data-base="/x&quot;y"')
})

t.test('wrong tokens spend a per-address budget: 429 with Retry-After once it is empty', async (t) => {
  const server = await startConsole(t, { clock: frozenClock() })
  for (let i = 0; i < LOGIN_RATE.burst; i++) {
    t.equal((await fetch(server.base + '/login', form(`wrong-token-number-${i}`))).status, 401)
  }
  const limited = await fetch(server.base + '/login', form('wrong-token-once-more'))
  t.equal(limited.status, 429)
  t.ok(Number(limited.headers.get('retry-after')) >= 1, 'with Retry-After')
  t.equal((await limited.json() as { code: string }).code, 'FST_BROADCASTT_RATE_LIMITED')
  t.equal((await fetch(`${server.base}?token=wrong-token-in-query`, { redirect: 'manual' })).status, 429, '?token= spends the same budget')
  const bearer = { authorization: 'Bearer wrong-token-as-bearer' }
  t.equal((await fetch(server.base + '/api/apps', { headers: bearer })).status, 429, 'so does a wrong Bearer token on the API')
  t.equal((await fetch(server.base, { headers: bearer })).status, 429, 'and on the page')
  t.equal((await fetch(server.base + '/api/apps', { headers: BEARER })).status, 200, 'the right token still works')
})

t.test('the console\'s requests are rate limited per address', async (t) => {
  const server = await startConsole(t, { clock: frozenClock() }) // no refill: the count is exact
  const statuses: number[] = []
  for (let i = 0; i < REQUEST_RATE.burst + 2; i++) statuses.push((await fetch(server.base + '/api/apps', { headers: BEARER })).status)
  t.same(statuses.slice(0, REQUEST_RATE.burst), Array(REQUEST_RATE.burst).fill(200), 'the burst passes')
  t.same(statuses.slice(REQUEST_RATE.burst), [429, 429], 'then 429')
  const rest = await fetch(`http://127.0.0.1:${server.port}/apps/${TEST_APP.id}/channels`)
  t.not(rest.status, 429, 'the REST API is not affected')
})

t.test('the per-address budget forgets the least recently seen address past its bound', async (t) => {
  const rate = new AddressRate(1, 2, 3)
  for (const ip of ['a', 'b', 'c', 'd']) t.ok(rate.take(ip, 0))
  t.equal(rate.size, 3, 'bounded')
  t.ok(rate.take('d', 0))
  t.notOk(rate.take('d', 0), 'd spent its burst')
  t.equal(rate.retryAfter('d', 0), 1)
  t.equal(rate.retryAfter('unknown', 0), 1)
  t.ok(rate.take('d', 1000), 'refilled after a second')
  t.equal(cookieValue(undefined, 'x'), undefined)
  t.equal(cookieValue('a=1; b', 'b'), undefined)
})
