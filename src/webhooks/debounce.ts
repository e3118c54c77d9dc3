/**
 * Debouncing per channel. `channel_vacated`, `member_removed` and a falling `subscription_count` wait
 * `delayMs`; `channel_occupied`, `member_added` (same user) and a later `subscription_count` of the same
 * channel cancel them, so a page reload sends no webhook at all. Events of a channel are released in the order
 * they happened: an event behind a waiting one waits with it. A `subscription_count` equal to the last one
 * released for the channel is not sent again.
 */
import type { WebhookEvent } from './types.js'

interface Pending {
  readonly event: WebhookEvent
  readonly releaseAt: number
}

/** Channels whose last released subscription count is remembered (oldest forgotten first). */
const MAX_REMEMBERED_COUNTS = 100_000

export class Debouncer {
  readonly #lanes = new Map<string, Pending[]>()
  /** Last released subscription count per `app\0channel`. */
  readonly #lastCount = new Map<string, number>()

  constructor (
    private readonly delayMs: number,
    private readonly release: (appId: string, event: WebhookEvent) => void
  ) {}

  /** Channels with events waiting. */
  get size (): number { return this.#lanes.size }

  push (appId: string, event: WebhookEvent, now: number): void {
    const key = `${appId}\0${event.channel}`
    const lane = this.#lanes.get(key) ?? []
    if (this.#cancels(lane, event)) {
      this.#drain(appId, key, lane, now)
      return
    }
    // A newer count replaces a waiting one, and goes no later than it would have.
    const replaced = event.name === 'subscription_count' ? this.#supersede(lane) : undefined
    const releaseAt = this.#delayed(key, event) ? Math.min(now + this.delayMs, replaced ?? Infinity) : now
    if (lane.length === 0 && releaseAt <= now) {
      this.#emit(appId, key, event)
      return
    }
    lane.push({ event, releaseAt })
    this.#lanes.set(key, lane)
  }

  /** Releases what is due. */
  tick (now: number): void {
    for (const [key, lane] of this.#lanes) this.#drain(key.slice(0, key.indexOf('\0')), key, lane, now)
  }

  /** Releases everything now (shutdown: nobody comes back to this node). */
  flush (): void {
    this.tick(Number.POSITIVE_INFINITY)
  }

  /** Removes the waiting opposite of `event`; true when `event` is cancelled with it. */
  #cancels (lane: Pending[], event: WebhookEvent): boolean {
    let i = -1
    if (event.name === 'channel_occupied') i = lane.findIndex((p) => p.event.name === 'channel_vacated')
    if (event.name === 'member_added') {
      i = lane.findIndex((p) => p.event.name === 'member_removed' && p.event.user_id === event.user_id)
    }
    if (i === -1) return false
    lane.splice(i, 1)
    return true
  }

  /** Removes a waiting subscription count; returns when it was due. */
  #supersede (lane: Pending[]): number | undefined {
    const i = lane.findIndex((p) => p.event.name === 'subscription_count')
    return i === -1 ? undefined : lane.splice(i, 1)[0]?.releaseAt
  }

  #delayed (key: string, event: WebhookEvent): boolean {
    if (this.delayMs === 0) return false
    if (event.name === 'channel_vacated' || event.name === 'member_removed') return true
    if (event.name !== 'subscription_count') return false
    const previous = this.#lastCount.get(key)
    return previous !== undefined && event.subscription_count < previous
  }

  #drain (appId: string, key: string, lane: Pending[], now: number): void {
    while (lane.length > 0 && (lane[0] as Pending).releaseAt <= now) this.#emit(appId, key, (lane.shift() as Pending).event)
    if (lane.length === 0) this.#lanes.delete(key)
  }

  #emit (appId: string, key: string, event: WebhookEvent): void {
    if (event.name === 'subscription_count') {
      if (this.#lastCount.get(key) === event.subscription_count) return
      this.#lastCount.delete(key)
      this.#lastCount.set(key, event.subscription_count)
      if (this.#lastCount.size > MAX_REMEMBERED_COUNTS) this.#lastCount.delete(this.#lastCount.keys().next().value as string)
    } else if (event.name === 'channel_vacated') {
      this.#lastCount.delete(key)
    }
    this.release(appId, event)
  }
}
