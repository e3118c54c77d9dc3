/**
 * The webhook manager: listens to hub events (the hub never calls webhooks), debounces and batches them per
 * app, queues one delivery per webhook URL, and has the dispatcher send them. One interval, on the plugin's
 * clock, ticks every `batchMs` while anything is waiting; it stops when nothing is.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { HubEventName, HubEvents } from '../hub/events.js'
import type { Hub } from '../hub/hub.js'
import type { App } from '../apps/app-store.js'
import type { Clock, WebhookDeliveryOptions } from '../options.js'
import { Batcher } from './batcher.js'
import { Debouncer } from './debounce.js'
import { Dispatcher } from './dispatcher.js'
import { WebhookSender } from './sender.js'
import type { Delivery, WebhookCause, WebhookEvent, WebhookQueue } from './types.js'

/** Overflow is logged at most once per app and cause in this many milliseconds (a summary, never per event). */
export const OVERFLOW_LOG_INTERVAL_MS = 10_000

/** What overflowed of one app and cause since the last log line. */
interface Overflowed { appId: string, cause: WebhookCause, events: number, deliveries: number, reason: string }

const OPPOSITE: Partial<Record<WebhookEvent['name'], WebhookEvent['name']>> = {
  channel_occupied: 'channel_vacated',
  channel_vacated: 'channel_occupied',
  member_added: 'member_removed',
  member_removed: 'member_added'
}

export interface WebhookManagerOptions {
  readonly hub: Hub
  /** An app's current version, when this node has it at hand (events come from its connections). */
  readonly appOf: (appId: string) => App | undefined
  /** An app's current version, from its store when it is not cached (a delivery may outlive the cache). */
  readonly loadApp: (appId: string) => Promise<App | undefined>
  readonly delivery: WebhookDeliveryOptions
  readonly clock: Clock
  readonly log: FastifyBaseLogger
  readonly queue: WebhookQueue
  /** Whether `subscription_count` asks the adapter for the cluster-wide count (else the local one is it). */
  readonly clusterCounts: boolean
}

export class WebhookManager {
  readonly #debouncer: Debouncer
  readonly #batcher: Batcher
  readonly #dispatcher: Dispatcher
  readonly #sender: WebhookSender
  readonly #unlisten: Array<() => void> = []
  readonly #pushes = new Set<Promise<void>>()
  /** Pushes waiting for the queue, per app. */
  readonly #pushing = new Map<string, number>()
  readonly #overflowed = new Map<string, Overflowed>()
  #overflowTimer: unknown
  #timer: unknown
  #closed = false

  constructor (private readonly options: WebhookManagerOptions) {
    const { delivery, clock, hub, log, queue } = options
    this.#sender = new WebhookSender(delivery)
    this.#batcher = new Batcher(delivery.batchSize, options.appOf, () => clock.now(), (d) => { this.#push(d) })
    this.#debouncer = new Debouncer(delivery.debounceMs, (appId, event) => { this.#batcher.add(appId, event) })
    this.#dispatcher = new Dispatcher({
      options: delivery,
      loadApp: options.loadApp,
      queue,
      events: hub.events,
      log,
      now: () => clock.now(),
      send: async (d, target) => await this.#sender.send(d, target),
      onRetryWaiting: () => { this.#schedule() }
    })
  }

  async start (): Promise<void> {
    const { queue, delivery } = this.options
    await queue.start((d) => {
      this.#dispatcher.take(d)
      this.#schedule()
    }, (appId, cause) => delivery.queueLimitPerApp - this.#dispatcher.held(appId, cause))
    this.#listen()
  }

  #listen (): void {
    const { events } = this.options.hub
    const on = <E extends HubEventName>(name: E, fn: (...args: HubEvents[E]) => void): void => {
      events.on(name, fn as never)
      this.#unlisten.push(() => { events.off(name, fn as never) })
    }
    on('channel_occupied', ({ appId, channel }) => { this.#event(appId, { name: 'channel_occupied', channel }) })
    on('channel_vacated', ({ appId, channel }) => { this.#event(appId, { name: 'channel_vacated', channel }) })
    on('member_added', ({ appId, channel, userId }) => { this.#event(appId, { name: 'member_added', channel, user_id: userId }) })
    on('member_removed', ({ appId, channel, userId }) => { this.#event(appId, { name: 'member_removed', channel, user_id: userId }) })
    on('cache_miss', ({ appId, channel }) => { this.#event(appId, { name: 'cache_miss', channel }) })
    on('client_event', ({ appId, channel, event, data, socketId, userId }) => {
      this.#event(appId, {
        name: 'client_event', channel, event, data, socket_id: socketId, ...(userId === undefined ? {} : { user_id: userId })
      })
    })
    on('subscription_count', ({ appId, channel, localCount }) => { this.#subscriptionCount(appId, channel, localCount) })
  }

  /** Whether any webhook of the app wants events of this type (cheap check before any work). */
  #wanted (appId: string, name: WebhookEvent['name']): boolean {
    return this.options.appOf(appId)?.webhooks.some((hook) => hook.eventTypes.includes(name)) ?? false
  }

  #event (appId: string, event: WebhookEvent): void {
    if (this.#closed) return
    // Occupied/vacated and member events enter the debouncer when either of the pair is wanted: they cancel there.
    const opposite = OPPOSITE[event.name]
    if (!this.#wanted(appId, event.name) && (opposite === undefined || !this.#wanted(appId, opposite))) return
    this.#debouncer.push(appId, event, this.options.clock.now())
    this.#schedule()
  }

  #subscriptionCount (appId: string, channel: string, localCount: number): void {
    if (this.#closed || !this.#wanted(appId, 'subscription_count')) return
    const emit = (count: number): void => {
      // A channel at 0 is reported by channel_vacated.
      if (count > 0) this.#event(appId, { name: 'subscription_count', channel, subscription_count: count })
    }
    if (!this.options.clusterCounts) {
      emit(localCount)
      return
    }
    this.options.hub.background(this.options.hub.channel(appId, channel).then((c) => { emit(c.subscriptionCount) }))
  }

  #push (delivery: Delivery): void {
    // Writes waiting for the queue (Redis slow or reconnecting) are bounded per app like the queue itself.
    const { appId } = delivery
    const waiting = this.#pushing.get(appId) ?? 0
    if (waiting >= this.options.delivery.queueLimitPerApp) {
      this.#overflow(delivery, 'too many webhooks waiting to be queued')
      return
    }
    this.#pushing.set(appId, waiting + 1)
    const { queue } = this.options
    const work = (async () => {
      await queue.watch?.(appId)
      if (await queue.push(delivery) === 'full') this.#overflow(delivery, 'the app\'s webhook queue is full')
    })().catch((err: unknown) => {
      this.#overflow(delivery, `queueing failed: ${err instanceof Error ? err.message : String(err)}`)
    }).finally(() => {
      this.#pushes.delete(work)
      const left = (this.#pushing.get(appId) ?? 1) - 1
      if (left === 0) this.#pushing.delete(appId)
      else this.#pushing.set(appId, left)
    })
    this.#pushes.add(work)
  }

  /**
   * Counts what could not be queued (the hub event feeds the metrics, per cause) and logs it: at once when
   * nothing overflowed in the last interval, then one summary line per app and cause per interval.
   */
  #overflow (delivery: Delivery, reason: string): void {
    const { appId, cause, url, events } = delivery
    this.options.hub.events.emit('webhook_overflow', { appId, cause, url, events })
    const key = `${appId}\n${cause}`
    const entry = this.#overflowed.get(key) ?? { appId, cause, events: 0, deliveries: 0, reason }
    entry.events += events
    entry.deliveries++
    entry.reason = reason
    this.#overflowed.set(key, entry)
    if (this.#overflowTimer !== undefined) return
    this.#reportOverflow()
    const timer = this.options.clock.setInterval(() => { this.#reportOverflow() }, OVERFLOW_LOG_INTERVAL_MS) as { unref?: () => void }
    timer.unref?.()
    this.#overflowTimer = timer
  }

  /** Logs what overflowed since the last line; a quiet interval stops the timer. */
  #reportOverflow (): void {
    if (this.#overflowed.size === 0) {
      this.options.clock.clearInterval(this.#overflowTimer as never)
      this.#overflowTimer = undefined
      return
    }
    for (const entry of this.#overflowed.values()) {
      this.options.log.error({ ...entry, intervalMs: OVERFLOW_LOG_INTERVAL_MS }, 'webhooks not queued: overflow')
    }
    this.#overflowed.clear()
  }

  /** Starts the tick while anything waits; `#tick` stops it when nothing does. */
  #schedule (): void {
    if (this.#timer !== undefined || this.#closed) return
    const timer = this.options.clock.setInterval(() => { this.#tick() }, this.options.delivery.batchMs) as { unref?: () => void }
    timer.unref?.()
    this.#timer = timer
  }

  #tick (): void {
    const now = this.options.clock.now()
    this.#debouncer.tick(now)
    this.#batcher.flush()
    this.#dispatcher.tick(now)
    if (this.#debouncer.size === 0 && this.#batcher.size === 0 && !this.#dispatcher.waiting) this.#stopTimer()
  }

  #stopTimer (): void {
    if (this.#timer !== undefined) this.options.clock.clearInterval(this.#timer as never)
    this.#timer = undefined
  }

  /**
   * Flushes what waits (debounced events too: nobody comes back to a node that is closing), sends what is
   * ready for up to `closeTimeoutMs`, then stops. What is left stays in a durable queue, or is lost with the
   * memory queue (logged with its count).
   */
  async close (): Promise<void> {
    if (this.#closed) return
    for (const unlisten of this.#unlisten) unlisten()
    this.#debouncer.flush()
    this.#batcher.flush()
    this.#closed = true
    this.#stopTimer()
    await within(this.options.delivery.closeTimeoutMs, (async () => {
      await Promise.all(this.#pushes)
      await this.#dispatcher.drainReady()
    })())
    this.#reportOverflow() // what the interval has not logged yet
    this.options.clock.clearInterval(this.#overflowTimer as never)
    const stopped = this.#dispatcher.stop()
    await this.#sender.close()
    await stopped
    const left = (this.options.queue as { pending?: number }).pending ?? 0
    if (left > 0) this.options.log.warn({ deliveries: left }, 'webhooks: undelivered webhooks lost at shutdown (memory queue)')
    await this.options.queue.close()
  }
}

/** Waits for `work`, at most `ms` (real time: shutdown is bounded in wall time whatever the clock). */
async function within (ms: number, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([work, new Promise((resolve) => { timer = setTimeout(resolve, ms) })])
  clearTimeout(timer)
}
