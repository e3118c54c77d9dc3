/**
 * A delivery handed to the dispatcher again while this node still holds it — a take-over (XAUTOCLAIM) racing
 * the node's own keep-alive when Redis answered late, or a taken-over entry claimed back — is sent once per
 * attempt, counted once against the app's queue bound, and acknowledged once. Real sender, real receiver.
 */
import { EventEmitter } from 'node:events'
import t from 'tap'
import { Dispatcher } from '../../src/webhooks/dispatcher.js'
import { WebhookSender } from '../../src/webhooks/sender.js'
import { WEBHOOK_DEFAULTS } from '../../src/options.js'
import type { HubEvents } from '../../src/hub/events.js'
import type { QueuedDelivery, WebhookQueue } from '../../src/webhooks/types.js'
import { receiver } from './receiver.js'

interface Teardown { teardown (fn: () => unknown): void }

async function setUp (t: Teardown) {
  const hook = await receiver(t)
  const options = { ...WEBHOOK_DEFAULTS, retryBaseDelayMs: 10, retryMaxDelayMs: 10 }
  const sender = new WebhookSender(options)
  t.teardown(() => sender.close())
  const acked: string[] = []
  const queue: WebhookQueue = {
    durable: true,
    async start () {},
    async push () { return 'queued' },
    async ack (d) { acked.push(d.id) },
    async close () {}
  }
  const events = new EventEmitter<HubEvents>()
  const delivered: unknown[] = []
  events.on('webhook_delivered', (e) => { delivered.push(e) })
  const log = { debug () {}, warn () {}, error () {} }
  const dispatcher = new Dispatcher({
    options,
    loadApp: async () => ({ id: 'a', key: 'k', secret: 's', webhooks: [{ url: hook.url }] }) as never,
    queue,
    events,
    log: log as never,
    now: () => Date.now(),
    send: async (d, target) => await sender.send(d, target),
    onRetryWaiting: () => {},
    random: () => 0
  })
  const delivery: QueuedDelivery = {
    id: '1-0', appId: 'a', cause: 'lifecycle', url: hook.url, body: '{"time_ms":1,"events":[{"name":"channel_occupied","channel":"news"}]}', events: 1, createdAt: Date.now()
  }
  return { hook, dispatcher, delivery, acked, delivered }
}

t.test('handed again while its request is in flight: one request, one acknowledgement', async (t) => {
  const { hook, dispatcher, delivery, acked, delivered } = await setUp(t)
  let answer: () => void = () => {}
  hook.answer = () => (res) => { answer = () => res.writeHead(200).end() }
  dispatcher.take(delivery)
  await hook.eventCount(1)
  dispatcher.take({ ...delivery })
  t.equal(dispatcher.held('a', 'lifecycle'), 1, 'counted once against the app\'s bound')
  answer()
  await dispatcher.drainReady()
  t.equal(hook.requests.length, 1, 'one request')
  t.same(acked, ['1-0'], 'one acknowledgement')
  t.equal(delivered.length, 1)
  t.equal(dispatcher.held('a', 'lifecycle'), 0)
})

t.test('handed again while it waits for a retry: the retry is its next request, no extra one', async (t) => {
  const { hook, dispatcher, delivery, acked, delivered } = await setUp(t)
  hook.answer = (n) => n === 0 ? 503 : 200
  dispatcher.take(delivery)
  await hook.eventCount(1)
  while (!dispatcher.waiting) await new Promise((resolve) => setTimeout(resolve, 5))
  dispatcher.take({ ...delivery })
  t.equal(dispatcher.held('a', 'lifecycle'), 1, 'counted once against the app\'s bound')
  await new Promise((resolve) => setTimeout(resolve, 20)) // past its retry delay (10 ms)
  await dispatcher.drainReady()
  t.equal(hook.requests.length, 2, 'the failed attempt and its retry')
  t.same(acked, ['1-0'], 'one acknowledgement')
  t.match(delivered, [{ attempts: 2 }])
})

t.test('handed again after it was delivered and acknowledged: sent again (at least once)', async (t) => {
  const { hook, dispatcher, delivery, acked } = await setUp(t)
  dispatcher.take(delivery)
  await dispatcher.drainReady()
  dispatcher.take({ ...delivery })
  await dispatcher.drainReady()
  t.equal(hook.requests.length, 2, 'a copy that comes back after the acknowledgement is not remembered')
  t.same(acked, ['1-0', '1-0'])
})
