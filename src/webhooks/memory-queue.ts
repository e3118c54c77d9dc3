/**
 * The default queue: deliveries live in this process only. Bounded per app and cause (`queueLimitPerApp`). A crash or
 * `kill -9` loses every delivery not yet answered 2xx, and `close()` drops those still waiting to be retried
 * (docs/webhooks.md says so); use the Redis adapter for durable webhooks.
 */
import type { Delivery, PushResult, QueuedDelivery, WebhookQueue } from './types.js'

export class MemoryWebhookQueue implements WebhookQueue {
  readonly durable = false
  readonly #counts = new Map<string, number>()
  #take: ((delivery: QueuedDelivery) => void) | undefined
  #next = 0

  constructor (private readonly limitPerApp: number) {}

  async start (take: (delivery: QueuedDelivery) => void): Promise<void> {
    this.#take = take
  }

  async push (delivery: Delivery): Promise<PushResult> {
    const key = `${delivery.appId}\n${delivery.cause}`
    const count = this.#counts.get(key) ?? 0
    if (this.#take === undefined || count >= this.limitPerApp) return 'full'
    this.#counts.set(key, count + 1)
    this.#take({ ...delivery, id: String(++this.#next) })
    return 'queued'
  }

  async ack (delivery: QueuedDelivery): Promise<void> {
    const key = `${delivery.appId}\n${delivery.cause}`
    const count = (this.#counts.get(key) ?? 1) - 1
    if (count <= 0) this.#counts.delete(key)
    else this.#counts.set(key, count)
  }

  /** What is still queued at close is dropped with the process. */
  async close (): Promise<void> {
    this.#take = undefined
  }

  /** Deliveries not yet acknowledged (for the shutdown log). */
  get pending (): number {
    let n = 0
    for (const count of this.#counts.values()) n += count
    return n
  }
}
