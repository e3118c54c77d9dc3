/**
 * Per-app rates hold across the cluster: `backendEventsPerSecond` and `readRequestsPerSecond` are one token
 * bucket in Redis for every node, so two nodes allow the app's rate, not twice it. Each bucket holds one
 * second's worth; the second node asks right after the first emptied it (well within that second).
 */
import t from 'tap'
import { RedisRates } from '../../src/adapters/redis-rates.js'
import { RedisKeys } from '../../src/adapters/redis-keys.js'
import { startCluster } from '../helpers/cluster.js'
import { TEST_APP } from '../helpers/server.js'
import { assertRefused, signed } from '../http/helpers.js'

const batch = (n: number) => ({ batch: Array.from({ length: n }, (_, i) => ({ name: 'e', channel: 'c', data: String(i) })) })

t.test('backend events: two nodes share the app\'s rate', async (t) => {
  const [a, b] = await startCluster(t, 2, { apps: [{ ...TEST_APP, limits: { backendEventsPerSecond: 10 } }] })
  if (a === undefined || b === undefined) throw new Error('no nodes')
  t.equal((await signed(a, 'POST', '/batch_events', { body: batch(10) })).status, 200, 'node A takes the second\'s 10 events')
  assertRefused(t, await signed(b, 'POST', '/batch_events', { body: batch(10) }), 429, 'FST_BROADCASTT_RATE_LIMITED',
    /over its rate of 10 backend events per second/)
})

t.test('reads: two nodes share the app\'s rate', async (t) => {
  const [a, b] = await startCluster(t, 2, { apps: [{ ...TEST_APP, limits: { readRequestsPerSecond: 1 } }] })
  if (a === undefined || b === undefined) throw new Error('no nodes')
  t.equal((await signed(a, 'GET', '/channels')).status, 200)
  assertRefused(t, await signed(b, 'GET', '/channels'), 429, 'FST_BROADCASTT_RATE_LIMITED', /1 read requests per second/)
})

t.test('while Redis is unreachable, a node counts the rate alone', async (t) => {
  const rates = new RedisRates(new RedisKeys('unused:'))
  t.equal(await rates.take(undefined, 'a', 'events', 2, 2), true)
  t.equal(await rates.take(undefined, 'a', 'events', 2, 1), false)
  t.equal(await rates.take(undefined, 'a', 'events', 0, 5), true, '0 is unlimited')
})
