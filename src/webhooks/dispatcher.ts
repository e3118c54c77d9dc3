/**
 * Sends queued deliveries: at most `inFlightPerApp` requests of one app at once, each app on its own lane so a
 * slow or dead receiver holds up only its own app. A failed attempt is retried with exponential backoff and
 * jitter until `retryHorizonMs` after the delivery was created; then it is logged and counted as failed.
 * Outcomes are emitted as hub events (`webhook_delivered`, `webhook_retried`, `webhook_failed`).
 */
import type { EventEmitter } from 'node:events'
import type { FastifyBaseLogger } from 'fastify'
import type { HubEvents } from '../hub/events.js'
import type { App } from '../apps/app-store.js'
import type { WebhookDeliveryOptions } from '../options.js'
import { webhookTarget, type SendOutcome, type SendTarget } from './sender.js'
import { errorFields, loggableUrl } from '../log-safe.js'
import type { QueuedDelivery, WebhookCause, WebhookQueue } from './types.js'

interface Job {
  readonly delivery: QueuedDelivery
  /** Attempts made so far. */
  attempts: number
  dueAt: number
}

class AppLane {
  readonly ready: Job[] = []
  readonly waiting = new Set<Job>()
  readonly ids = new Set<string>()
  /** Deliveries held per cause. */
  readonly held = new Map<WebhookCause, number>()
  inFlight = 0

  hold (cause: WebhookCause, change: 1 | -1): void {
    this.held.set(cause, (this.held.get(cause) ?? 0) + change)
  }
}

export interface DispatcherDeps {
  readonly options: WebhookDeliveryOptions
  /** The app of a delivery as it is now (its webhooks, key and secret); undefined when it is gone. */
  readonly loadApp: (appId: string) => Promise<App | undefined>
  readonly queue: WebhookQueue
  readonly events: EventEmitter<HubEvents>
  readonly log: FastifyBaseLogger
  readonly now: () => number
  readonly send: (delivery: QueuedDelivery, target: SendTarget) => Promise<SendOutcome>
  /** Called when a retry starts waiting, so the owner keeps its tick running. */
  readonly onRetryWaiting: () => void
  /** [0, 1); tests may pin it. */
  readonly random?: () => number
}

/** The delay before retry number `attempt` (1-based): base·2^(attempt-1), capped, with "equal jitter". */
export function backoffDelay (attempt: number, base: number, max: number, random: () => number): number {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt - 1, 30))
  return Math.round(ceiling / 2 + random() * ceiling / 2)
}

export class Dispatcher {
  readonly #lanes = new Map<string, AppLane>()
  readonly #random: () => number
  readonly #settled = new Set<() => void>()
  #stopped = false

  constructor (private readonly deps: DispatcherDeps) {
    this.#random = deps.random ?? Math.random
  }

  #lane (appId: string): AppLane {
    let lane = this.#lanes.get(appId)
    if (lane === undefined) {
      lane = new AppLane()
      this.#lanes.set(appId, lane)
    }
    return lane
  }

  /** Deliveries of an app and cause held by this node (ready, in flight or waiting to retry). */
  held (appId: string, cause: WebhookCause): number {
    return this.#lanes.get(appId)?.held.get(cause) ?? 0
  }

  /** Whether retries are waiting (the manager keeps ticking while so). */
  get waiting (): boolean {
    for (const lane of this.#lanes.values()) if (lane.waiting.size > 0) return true
    return false
  }

  get inFlight (): number {
    let n = 0
    for (const lane of this.#lanes.values()) n += lane.inFlight + lane.ready.length
    return n
  }

  /** Accepts a delivery from the queue; a duplicate of one already held is ignored. */
  take (delivery: QueuedDelivery): void {
    const lane = this.#lane(delivery.appId)
    if (lane.ids.has(delivery.id)) return
    lane.ids.add(delivery.id)
    lane.hold(delivery.cause, 1)
    lane.ready.push({ delivery, attempts: 0, dueAt: this.deps.now() })
    this.#pump(delivery.appId, lane)
  }

  /** Moves retries that are due to their lane's ready list. */
  tick (now: number): void {
    for (const [appId, lane] of this.#lanes) {
      for (const job of lane.waiting) {
        if (job.dueAt > now) continue
        lane.waiting.delete(job)
        lane.ready.push(job)
      }
      this.#pump(appId, lane)
    }
  }

  /** Stops starting requests; resolves when none is in flight (the caller bounds the wait). */
  async stop (): Promise<void> {
    this.#stopped = true
    if (this.#activeRequests() === 0) return
    await new Promise<void>((resolve) => { this.#settled.add(resolve) })
  }

  /** Sends what is ready now, then resolves when nothing ready or in flight is left (used before stop). */
  async drainReady (): Promise<void> {
    this.tick(this.deps.now())
    if (this.inFlight === 0) return
    await new Promise<void>((resolve) => { this.#settled.add(resolve) })
  }

  #activeRequests (): number {
    let n = 0
    for (const lane of this.#lanes.values()) n += lane.inFlight
    return n
  }

  #pump (appId: string, lane: AppLane): void {
    while (!this.#stopped && lane.inFlight < this.deps.options.inFlightPerApp && lane.ready.length > 0) {
      const job = lane.ready.shift() as Job
      lane.inFlight++
      void this.#attempt(job).finally(() => {
        lane.inFlight--
        this.#pump(appId, lane)
        this.#notifySettled()
      })
    }
  }

  #notifySettled (): void {
    const idle = this.#stopped ? this.#activeRequests() === 0 : this.inFlight === 0
    if (!idle) return
    for (const resolve of this.#settled) resolve()
    this.#settled.clear()
  }

  async #attempt (job: Job): Promise<void> {
    const { delivery } = job
    const app = await this.deps.loadApp(delivery.appId)
    const hook = app?.webhooks.find((h) => h.url === delivery.url)
    if (app === undefined || hook === undefined) {
      // Only configured URLs are ever called: an entry naming another one (config changed) is given up.
      await this.#finish(job, 'webhook_failed', 'the URL is no longer configured for this app')
      return
    }
    job.attempts++
    const outcome = await this.deps.send(delivery, webhookTarget(app.key, app.secret, hook))
    if (outcome.ok) {
      await this.#finish(job, 'webhook_delivered')
      return
    }
    const now = this.deps.now()
    const giveUpAt = delivery.createdAt + this.deps.options.retryHorizonMs
    if (now >= giveUpAt) {
      await this.#finish(job, 'webhook_failed', `${outcome.reason}; gave up after ${job.attempts} attempts`)
      return
    }
    const { retryBaseDelayMs: base, retryMaxDelayMs: max } = this.deps.options
    job.dueAt = Math.min(now + backoffDelay(job.attempts, base, max, this.#random), giveUpAt)
    this.#lane(delivery.appId).waiting.add(job)
    this.deps.onRetryWaiting()
    this.deps.log.debug({ appId: delivery.appId, url: loggableUrl(delivery.url), attempt: job.attempts, reason: outcome.reason },
      'webhook attempt failed; retrying')
    this.deps.events.emit('webhook_retried', { appId: delivery.appId, url: delivery.url, attempt: job.attempts, reason: outcome.reason })
  }

  async #finish (job: Job, outcome: 'webhook_delivered' | 'webhook_failed', reason = ''): Promise<void> {
    const { delivery } = job
    const lane = this.#lane(delivery.appId)
    lane.ids.delete(delivery.id)
    lane.hold(delivery.cause, -1)
    try {
      await this.deps.queue.ack(delivery)
    } catch (err) {
      this.deps.log.warn({ err: errorFields(err), appId: delivery.appId }, 'webhook queue: acknowledging a delivery failed; it may be sent again')
    }
    const { appId, url, events } = delivery
    if (outcome === 'webhook_delivered') {
      this.deps.events.emit('webhook_delivered', { appId, url, events, attempts: job.attempts })
    } else {
      this.deps.log.error({ appId, url: loggableUrl(url), events, reason }, 'webhook given up')
      this.deps.events.emit('webhook_failed', { appId, url, events, reason })
    }
  }
}
