/**
 * On the Redis adapter the console shows the node that serves it (docs/console.md): its page says so, its
 * log holds that node's connections and the events triggered through it, and its form publishes to the
 * whole cluster.
 */
import t from 'tap'
import { startCluster } from '../helpers/cluster.js'
import { open } from '../helpers/ws-client.js'
import { TEST_APP } from '../helpers/server.js'
import { BEARER, openStream, TOKEN } from './helpers.js'

t.test('a console on one node of two: that node\'s traffic, the cluster\'s delivery', async (t) => {
  const [a, b] = await startCluster(t, 2, { console: { enabled: true, token: TOKEN } })
  if (a === undefined || b === undefined) throw new Error('two nodes expected')
  const consoleA = { ...a, base: `http://127.0.0.1:${a.port}/console` }
  const apps = await (await fetch(`${consoleA.base}/api/apps`, { headers: BEARER })).json() as { node: { adapter: string, id: string } }
  t.equal(apps.node.adapter, 'redis', 'the page is told it shows one node of a Redis cluster')
  const tab = await openStream(t, consoleA, TEST_APP.id)
  const onB = await open(t, b.wsUrl())
  await onB.subscribe('shared')
  const onA = await open(t, a.wsUrl())
  await onA.subscribe('shared')
  await tab.entry('subscribed', { socketId: onA.socketId })

  const res = await fetch(`${consoleA.base}/api/apps/${TEST_APP.id}/events`, {
    method: 'POST',
    headers: { ...BEARER, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'everywhere', channel: 'shared', data: '{}', info: 'subscription_count' })
  })
  t.same(await res.json(), { channels: { shared: { subscription_count: 2 } } }, 'the answer counts both nodes\' subscribers')
  await onB.next('everywhere')
  await onA.next('everywhere')
  t.pass('the event reached the subscribers of both nodes')
  await tab.entry('event_triggered', { event: 'everywhere' })
  await Promise.all([onA.settle(), onB.settle()])
  const sockets = tab.messages.filter((m) => m.event === 'entry').map((m) => (m.data as { socketId?: string }).socketId)
  t.notOk(sockets.includes(onB.socketId), 'the other node\'s connection is not in this node\'s log')
})
