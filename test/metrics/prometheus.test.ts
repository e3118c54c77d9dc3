/**
 * GET /metrics: off by default in the plugin; when on, the values move with real traffic (connections,
 * subscriptions, messages and bytes both ways, REST requests, refusals, adapter state), app labels are
 * capped, and no channel name or socket id ever appears.
 */
import t from 'tap'
import { MemoryAdapter } from '../../src/adapters/memory.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'
import { connect, open } from '../helpers/ws-client.js'
import { privateAuth, serverClosed } from '../channels/helpers.js'
import { signed } from '../http/helpers.js'
import { receiver } from '../webhooks/receiver.js'

interface Sample { name: string, labels: Record<string, string>, value: number }

function parse (text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null) continue
    const labels: Record<string, string> = {}
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k as string] = v as string
    out.push({ name: m[1] as string, labels, value: Number(m[3]) })
  }
  return out
}

/** The value of the one sample of `name` whose labels include `labels` (0 when absent). */
function value (samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`)
  return found[0]?.value ?? 0
}

async function scrape (server: TestServer, path = '/metrics'): Promise<{ text: string, samples: Sample[] }> {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`)
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`)
  const text = await response.text()
  return { text, samples: parse(text) }
}

t.test('off by default', async (t) => {
  const server = await startServer(t)
  t.equal((await fetch(`http://127.0.0.1:${server.port}/metrics`)).status, 404)
  await t.rejects(server.app.broadcastt.metrics(), { code: 'FST_BROADCASTT_METRICS_DISABLED' })
})

t.test('the values move with real traffic', async (t) => {
  const server = await startServer(t, { metrics: { enabled: true } })
  const app = { app: TEST_APP.id }
  const before = await scrape(server)
  t.equal(value(before.samples, 'broadcastt_connections', app), 0)
  t.equal(value(before.samples, 'broadcastt_adapter_ready'), 1)
  t.ok(before.samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds'), 'event-loop lag')
  t.ok(before.samples.some((s) => s.name === 'process_cpu_user_seconds_total'), 'default process metrics')

  const a = await open(t, server.wsUrl())
  const b = await open(t, server.wsUrl(TEST_APP.key, '', 'apps'))
  await a.subscribe('private-room', 'pusher', privateAuth(a, 'private-room'))
  await b.subscribe('private-room', 'broadcastt', privateAuth(b, 'private-room'))
  await a.subscribe('news')
  const refused = await connect(server.wsUrl('no-such-key'))
  await refused.client.closed
  const mid = await scrape(server)
  t.equal(value(mid.samples, 'broadcastt_connections', app), 2)
  t.equal(value(mid.samples, 'broadcastt_subscriptions', app), 3)
  t.equal(value(mid.samples, 'broadcastt_channels', app), 2)
  t.equal(value(mid.samples, 'broadcastt_connections_opened_total', app), 2)
  t.equal(value(mid.samples, 'broadcastt_connections_refused_total', { app: 'unknown', code: '4001' }), 1)

  const data = 'x'.repeat(100)
  t.equal((await signed(server, 'POST', '/events', { body: { name: 'e', channel: 'private-room', data } })).status, 200)
  await a.next('e')
  await b.next('e')
  a.send('client-typing', { n: 1 }, 'private-room')
  await b.next('client-typing')
  const gone = serverClosed(server.app, a)
  await a.close()
  await gone
  await b.settle('broadcastt')
  const after = await scrape(server)
  const s = after.samples
  t.equal(value(s, 'broadcastt_messages_sent_total', { ...app, kind: 'channel_event' }), 2, 'one event delivered to 2 connections')
  t.ok(value(s, 'broadcastt_bytes_sent_total', { ...app, kind: 'channel_event' }) > 2 * data.length, 'their bytes')
  t.equal(value(s, 'broadcastt_messages_sent_total', { ...app, kind: 'client_event' }), 1)
  t.ok(value(s, 'broadcastt_messages_sent_total', { ...app, kind: 'protocol' }) >= 6, 'handshakes, subscription replies, pongs')
  t.equal(value(s, 'broadcastt_messages_received_total', { ...app, kind: 'client_event' }), 1)
  t.equal(value(s, 'broadcastt_messages_received_total', { ...app, kind: 'protocol' }), 5, '3 subscribes and the 2 pings of settle()')
  t.ok(value(s, 'broadcastt_bytes_received_total', app) > 100)
  t.equal(value(s, 'broadcastt_connections', app), 1)
  t.equal(value(s, 'broadcastt_connections_closed_total', { ...app, code: '1005' }), 1, 'closed without a code')
  t.equal(value(s, 'broadcastt_http_requests_total', { ...app, route: '/apps/:app_id/events', method: 'POST', status: '200' }), 1)
  t.notMatch(after.text, /private-room|news/, 'no channel name in any label')
  t.notMatch(after.text, a.socketId, 'no socket id in any label')
})

t.test('apps beyond the label cap share app="other"; refusals are counted', async (t) => {
  const other = { id: 'other-id', key: 'other-key', secret: 'other-secret' }
  const server = await startServer(t, {
    apps: [{ ...TEST_APP, limits: { clientEventsPerSecond: 1 } }, other, { ...other, id: 'third', key: 'third-key' }],
    metrics: { enabled: true, appLabels: 1 }
  })
  await open(t, server.wsUrl(other.key))
  await open(t, server.wsUrl('third-key'))
  const a = await open(t, server.wsUrl())
  await a.subscribe('private-r', 'pusher', privateAuth(a, 'private-r'))
  a.send('client-x', {}, 'private-r')
  a.send('client-x', {}, 'private-r')
  t.match(await a.next('pusher:error'), { json: { code: 4301 } })
  const { samples, text } = await scrape(server)
  t.equal(value(samples, 'broadcastt_connections', { app: 'other' }), 2, 'two apps, one label value')
  t.equal(value(samples, 'broadcastt_connections', { app: TEST_APP.id }), 1)
  t.notMatch(text, /other-id|third/)
  t.equal(value(samples, 'broadcastt_client_event_rate_refusals_total', { app: TEST_APP.id }), 1)
})

t.test('adapter publish errors and readiness are sampled from the adapter', async (t) => {
  class BrokenAdapter extends MemoryAdapter {
    override ready (): boolean { return false }
    override async publish (): Promise<void> { throw new Error('publish failed') }
  }
  const server = await startServer(t, { adapter: new BrokenAdapter(), metrics: { enabled: true } })
  await t.rejects(server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['c'], name: 'e', data: '1' }), /publish failed/)
  const { samples } = await scrape(server)
  t.equal(value(samples, 'broadcastt_adapter_publish_errors_total'), 1)
  t.equal(value(samples, 'broadcastt_adapter_ready'), 0)
})

t.test('metrics() serves the same text for a port of the host\'s choice; endpoint: false drops the route', async (t) => {
  const server = await startServer(t, { metrics: { enabled: true, endpoint: false, defaultMetrics: false } })
  t.equal((await fetch(`http://127.0.0.1:${server.port}/metrics`)).status, 404)
  const { contentType, body } = await server.app.broadcastt.metrics()
  t.match(contentType, /^text\/plain/)
  t.match(body, /broadcastt_connections\{app="test-id"\} 0/)
  t.notMatch(body, /process_cpu/, 'no default metrics when turned off')
})

t.test('webhook deliveries, retries and failures are counted from the webhook events', async (t) => {
  const hook = await receiver(t)
  hook.answer = (n) => n === 0 ? 500 : 200
  const server = await startServer(t, {
    apps: [{ ...TEST_APP, webhooks: [{ url: hook.url, eventTypes: ['channel_occupied'] }] }],
    webhookDelivery: { batchMs: 1, retryBaseDelayMs: 1, retryMaxDelayMs: 1 },
    metrics: { enabled: true }
  })
  const delivered = new Promise<void>((resolve) => { server.app.broadcastt.on('webhook_delivered', () => { resolve() }) })
  const client = await open(t, server.wsUrl())
  await client.subscribe('hooked')
  await delivered
  const { samples } = await scrape(server)
  t.equal(value(samples, 'broadcastt_webhook_retries_total', { app: TEST_APP.id }), 1, 'the 500 was retried')
  t.equal(value(samples, 'broadcastt_webhook_deliveries_total', { app: TEST_APP.id }), 1)
  t.equal(value(samples, 'broadcastt_webhook_failures_total', { app: TEST_APP.id }), 0)
})
