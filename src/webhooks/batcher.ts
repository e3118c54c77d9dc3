/**
 * Batching per app and cause (never across apps): released events gather for one tick (`batchMs`) or until
 * `batchSize`, then each of the app's webhooks gets one delivery with the events it asked for, in order. A
 * delivery holds events of one cause, so the queue can bound each cause on its own.
 */
import type { App } from '../apps/app-store.js'
import type { WebhookConfig } from '../options.js'
import { causeOf, type Delivery, type WebhookCause, type WebhookEvent } from './types.js'

/** Whether a webhook wants an event: its type, and the channel-name filter when there is one. */
export function wants (hook: WebhookConfig, event: WebhookEvent): boolean {
  if (!hook.eventTypes.includes(event.name)) return false
  const { channelNameStartsWith: prefix, channelNameEndsWith: suffix } = hook.filter ?? {}
  if (prefix !== undefined && !event.channel.startsWith(prefix)) return false
  if (suffix !== undefined && !event.channel.endsWith(suffix)) return false
  return true
}

export class Batcher {
  /** Gathered events by app and cause. */
  readonly #open = new Map<string, { appId: string, cause: WebhookCause, events: WebhookEvent[] }>()

  constructor (
    private readonly batchSize: number,
    /** An app's current version (its webhooks). */
    private readonly appOf: (appId: string) => App | undefined,
    private readonly now: () => number,
    private readonly out: (delivery: Delivery) => void
  ) {}

  /** Apps and causes with events gathered. */
  get size (): number { return this.#open.size }

  add (appId: string, event: WebhookEvent): void {
    const app = this.appOf(appId)
    if (app === undefined || !app.webhooks.some((hook) => wants(hook, event))) return
    const cause = causeOf(event)
    const key = `${appId}\n${cause}`
    let open = this.#open.get(key)
    if (open === undefined) {
      open = { appId, cause, events: [] }
      this.#open.set(key, open)
    }
    open.events.push(event)
    if (open.events.length >= this.batchSize) this.#flushOne(key)
  }

  /** Turns every gathered batch into deliveries. */
  flush (): void {
    for (const key of [...this.#open.keys()]) this.#flushOne(key)
  }

  #flushOne (key: string): void {
    const { appId, cause, events } = this.#open.get(key) as { appId: string, cause: WebhookCause, events: WebhookEvent[] }
    this.#open.delete(key)
    const app = this.appOf(appId)
    if (app === undefined) return // gone from its store meanwhile
    const time = this.now()
    for (const hook of app.webhooks) {
      const mine = events.filter((event) => wants(hook, event))
      if (mine.length === 0) continue
      const body = JSON.stringify({ time_ms: time, events: mine })
      this.out({ appId, cause, url: hook.url, body, events: mine.length, createdAt: time })
    }
  }
}
