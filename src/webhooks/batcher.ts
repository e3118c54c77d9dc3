/**
 * Batching per app (never across apps): released events gather for one tick (`batchMs`) or until
 * `batchSize`, then each of the app's webhooks gets one delivery with the events it asked for, in order.
 */
import type { App } from '../apps/app-store.js'
import type { WebhookConfig } from '../options.js'
import type { Delivery, WebhookEvent } from './types.js'

/** Whether a webhook wants an event: its type, and the channel-name filter when there is one. */
export function wants (hook: WebhookConfig, event: WebhookEvent): boolean {
  if (!hook.eventTypes.includes(event.name)) return false
  const { channelNameStartsWith: prefix, channelNameEndsWith: suffix } = hook.filter ?? {}
  if (prefix !== undefined && !event.channel.startsWith(prefix)) return false
  if (suffix !== undefined && !event.channel.endsWith(suffix)) return false
  return true
}

export class Batcher {
  readonly #open = new Map<string, WebhookEvent[]>()

  constructor (
    private readonly batchSize: number,
    /** An app's current version (its webhooks). */
    private readonly appOf: (appId: string) => App | undefined,
    private readonly now: () => number,
    private readonly out: (delivery: Delivery) => void
  ) {}

  /** Apps with events gathered. */
  get size (): number { return this.#open.size }

  add (appId: string, event: WebhookEvent): void {
    const app = this.appOf(appId)
    if (app === undefined || !app.webhooks.some((hook) => wants(hook, event))) return
    let events = this.#open.get(appId)
    if (events === undefined) {
      events = []
      this.#open.set(appId, events)
    }
    events.push(event)
    if (events.length >= this.batchSize) this.#flushApp(appId)
  }

  /** Turns every gathered batch into deliveries. */
  flush (): void {
    for (const appId of [...this.#open.keys()]) this.#flushApp(appId)
  }

  #flushApp (appId: string): void {
    const events = this.#open.get(appId)
    this.#open.delete(appId)
    const app = this.appOf(appId)
    if (events === undefined || app === undefined) return
    const time = this.now()
    for (const hook of app.webhooks) {
      const mine = events.filter((event) => wants(hook, event))
      if (mine.length === 0) continue
      const body = JSON.stringify({ time_ms: time, events: mine })
      this.out({ appId, url: hook.url, body, events: mine.length, createdAt: time })
    }
  }
}
