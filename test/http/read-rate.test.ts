/** Signed REST reads over the app's `readRequestsPerSecond` get 429 with Retry-After; writes are not counted. */
import t from 'tap'
import { systemClock } from '../../src/hub/heartbeat.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { assertRefused, signed } from './helpers.js'

t.test('reads over the app rate get 429 with Retry-After, and the bucket refills', async (t) => {
  let now = 1_700_000_000_000
  const clock = { ...systemClock, now: () => now }
  const server = await startServer(t, { apps: [{ ...TEST_APP, limits: { readRequestsPerSecond: 2 } }], clock, metrics: { enabled: true } })
  const get = async (route: string) => await signed(server, 'GET', route, { timestamp: now / 1000 })
  t.equal((await get('/channels')).status, 200)
  t.equal((await get('/channels/c')).status, 200)
  const over = await get('/channels')
  assertRefused(t, over, 429, 'FST_BROADCASTT_RATE_LIMITED', /over its rate of 2 read requests per second/)
  t.equal(over.headers.get('retry-after'), '1')
  const post = await signed(server, 'POST', '/events', { body: { name: 'e', channel: 'c', data: '1' }, timestamp: now / 1000 })
  t.equal(post.status, 200, 'a write is not a read')
  t.equal((await signed(server, 'GET', '/channels', { timestamp: now / 1000, app: { ...TEST_APP, secret: 'wrong' } })).status, 401,
    'an unsigned request is refused before it can take a token')
  now += 500
  t.equal((await get('/channels')).status, 200, 'half a second later one token is back')
  assertRefused(t, await get('/channels'), 429, 'FST_BROADCASTT_RATE_LIMITED', /read requests/)
  const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text()
  t.match(metrics, `broadcastt_rest_rate_refusals_total{app="${TEST_APP.id}",reason="read_rate"} 2`)
})

t.test('0 means unlimited', async (t) => {
  const server = await startServer(t)
  const statuses: number[] = []
  for (let i = 0; i < 20; i++) statuses.push((await signed(server, 'GET', '/channels')).status)
  t.same(statuses, Array.from({ length: 20 }, () => 200))
})
