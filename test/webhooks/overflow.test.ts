/**
 * Webhook queues are budgeted per cause: a flood of channel-lifecycle events from anonymous connections
 * (unique public channel names, subscribed and left) fills only the lifecycle queue, so member and client
 * events keep their room. Overflow is counted per cause in the metrics and logged as one line per app and
 * cause per interval, never per event.
 */
import Fastify from 'fastify'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import broadcastt from '../../src/index.js'
import { TEST_APP } from '../helpers/server.js'
import { trackServer } from '../helpers/settle.js'
import { open } from '../helpers/ws-client.js'
import { joined, presenceAuth } from '../channels/helpers.js'
import { collect, QUICK } from './helpers.js'
import { receiver } from './receiver.js'

t.test('a lifecycle flood overflows its own queue only; member events are still delivered', async (t) => {
  const hook = await receiver(t)
  // Lifecycle requests never get an answer: they stay held and fill their queue.
  hook.answer = (n) => hook.requests[n]?.rawBody.includes('"member_added"') === true ? 200 : 'hang'
  const logs: Array<Record<string, unknown>> = []
  const app = Fastify({ logger: { level: 'error', stream: { write: (line: string) => { logs.push(JSON.parse(line)) } } } })
  await app.register(broadcastt, {
    apps: [{ ...TEST_APP, limits: { framesPerSecond: 0 }, webhooks: [{ url: hook.url, eventTypes: ['channel_occupied', 'channel_vacated', 'member_added'] }] }],
    webhookDelivery: { ...QUICK, batchSize: 1, inFlightPerApp: 4, queueLimitPerApp: 2, timeoutMs: 60_000, closeTimeoutMs: 0 },
    metrics: { enabled: true, defaultMetrics: false }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  let closed = false
  t.teardown(async () => { if (!closed) await app.close() })
  trackServer(t, app)
  const url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/app/${TEST_APP.key}?protocol=7`
  const overflow = collect(app, 'webhook_overflow')
  const flooder = await open(t, url)
  for (let i = 0; i < 20; i++) {
    await joined(flooder, `flood-${i}`)
    flooder.send('pusher:unsubscribe', { channel: `flood-${i}` })
  }
  await flooder.settle()
  await hook.until(() => hook.requests.length >= 2)
  const member = await open(t, url)
  await joined(member, 'presence-room', presenceAuth(member, 'presence-room', 'ann'))
  await hook.until(() => hook.events.some((e) => e.name === 'member_added'))
  t.pass('the member_added webhook was delivered while the lifecycle queue was full')
  t.ok(overflow.length > 0, `${overflow.length} lifecycle deliveries overflowed`)
  t.same([...new Set(overflow.map((o) => o.cause))], ['lifecycle'], 'only lifecycle events overflowed')
  const metrics = (await app.broadcastt.metrics()).body
  const counted = overflow.reduce((n, o) => n + o.events, 0)
  t.match(metrics, `broadcastt_webhook_overflow_events_total{app="${TEST_APP.id}",cause="lifecycle"} ${counted}`)
  await app.close() // reports what the interval has not logged yet
  closed = true
  const dropped = overflow.reduce((n, o) => n + o.events, 0)
  const lines = logs.filter((l) => l.msg === 'webhooks not queued: overflow')
  t.ok(lines.length >= 1 && lines.length <= 2, `${dropped} events overflowed, logged in ${lines.length} lines`)
  t.match(lines, lines.map(() => ({ appId: TEST_APP.id, cause: 'lifecycle', intervalMs: 10_000 })))
  t.equal(lines.reduce((n, l) => n + (l.events as number), 0), dropped, 'the lines count every dropped event')
})

t.test('overflow is logged at once, then once per interval while it goes on, then not at all', async (t) => {
  const hook = await receiver(t)
  hook.answer = () => 'hang'
  const logs: Array<Record<string, unknown>> = []
  const app = Fastify({ logger: { level: 'error', stream: { write: (line: string) => { logs.push(JSON.parse(line)) } } } })
  await app.register(broadcastt, {
    apps: [{ ...TEST_APP, limits: { framesPerSecond: 0 }, webhooks: [{ url: hook.url, eventTypes: ['channel_occupied'] }] }],
    webhookDelivery: { ...QUICK, batchSize: 1, inFlightPerApp: 1, queueLimitPerApp: 1, timeoutMs: 600_000, closeTimeoutMs: 0 },
    clock: t.clock
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  trackServer(t, app)
  const url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/app/${TEST_APP.key}?protocol=7`
  const overflow = collect(app, 'webhook_overflow')
  const client = await open(t, url)
  const lines = (): number => logs.filter((l) => l.msg === 'webhooks not queued: overflow').length
  const flood = async (from: number): Promise<void> => {
    for (let i = from; i < from + 5; i++) await joined(client, `c-${i}`)
    await client.settle()
  }
  await flood(0)
  t.equal(overflow.length, 4, 'one held, four overflowed')
  t.equal(lines(), 1, 'the first is logged at once, the rest wait for the interval')
  await flood(5)
  t.equal(lines(), 1, 'more overflow within the interval is not logged yet')
  t.clock.advance(10_000)
  t.equal(lines(), 2, 'one summary line at the end of the interval')
  t.match(logs.at(-1), { cause: 'lifecycle', events: 8, deliveries: 8 })
  t.clock.advance(10_000)
  t.clock.advance(10_000)
  t.equal(lines(), 2, 'a quiet interval logs nothing and stops the timer')
  await flood(10)
  t.equal(lines(), 3, 'a new burst is logged at once again')
})
