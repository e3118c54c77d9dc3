/**
 * Subscription count events (app option `subscriptionCountEvents`, off by default): the subscribers of a
 * channel get `pusher_internal:subscription_count` (`broadcastt_internal:` in the Broadcastt dialect) with
 * `{"subscription_count":N}`, as Pusher sends it; never on presence channels (they have member events).
 *
 * Debounced per node: a channel whose local subscribers changed is marked, and every `intervalMs` each marked
 * channel's cluster-wide count is read from the adapter (the query behind the REST channel API) and published
 * to the channel once, so a burst of subscriptions costs one event per interval, and every node's subscribers
 * get it. A channel left empty everywhere gets nothing (no one is there to hear it).
 */
import type { App } from '../apps/app-store.js'
import type { Clock } from '../options.js'
import { channelType } from '../protocol/channel-name.js'
import { DIALECTS } from '../protocol/dialect.js'
import type { Hub } from './hub.js'

/** The event name as it travels between nodes; each node frames it per dialect (`frames.ts`). */
export const SUBSCRIPTION_COUNT_EVENT = DIALECTS.pusher.subscriptionCount

export class SubscriptionCounts {
  readonly #dirty = new Map<string, { appId: string, channel: string }>()
  #timer: unknown
  #closed = false

  constructor (
    readonly hub: Hub,
    readonly appOf: (appId: string) => App | undefined,
    readonly clock: Pick<Clock, 'setInterval' | 'clearInterval'>,
    readonly intervalMs: number
  ) {
    hub.events.on('subscription_count', ({ appId, channel }) => { this.changed(appId, channel) })
  }

  /** This node's subscribers of the channel changed. */
  changed (appId: string, channel: string): void {
    if (this.#closed || this.appOf(appId)?.subscriptionCountEvents !== true) return
    if (channelType(channel).kind === 'presence') return
    this.#dirty.set(`${appId}\n${channel}`, { appId, channel })
    this.#timer ??= this.clock.setInterval(() => { this.#flush() }, this.intervalMs)
  }

  #flush (): void {
    if (this.#dirty.size === 0) {
      this.#stop()
      return
    }
    const due = [...this.#dirty.values()]
    this.#dirty.clear()
    for (const { appId, channel } of due) this.hub.background(this.#send(appId, channel))
  }

  async #send (appId: string, channel: string): Promise<void> {
    const { subscriptionCount } = await this.hub.channel(appId, channel)
    if (subscriptionCount === 0 || this.#closed) return
    await this.hub.publish({
      type: 'event', appId, channel, name: SUBSCRIPTION_COUNT_EVENT, data: JSON.stringify({ subscription_count: subscriptionCount })
    })
  }

  #stop (): void {
    if (this.#timer !== undefined) this.clock.clearInterval(this.#timer as never)
    this.#timer = undefined
  }

  close (): void {
    this.#closed = true
    this.#dirty.clear()
    this.#stop()
  }
}
