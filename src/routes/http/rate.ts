/**
 * The backend event rate of each app (`limits.backendEventsPerSecond`, 0 = unlimited): a token bucket per
 * app, refilled continuously, holding at most one second's worth of events. A request takes as many tokens
 * as it has events, all or none, so a refused batch publishes nothing. Counted per node.
 */
import { refilledTokens } from '../../hub/token-bucket.js'

interface Bucket { tokens: number, at: number }

export class BackendRate {
  readonly #buckets = new Map<string, Bucket>()

  /** Takes `events` tokens from the app's bucket at time `now` (ms); false when it holds fewer. */
  take (appId: string, perSecond: number, events: number, now: number): boolean {
    if (perSecond <= 0) return true
    const bucket = this.#buckets.get(appId) ?? { tokens: perSecond, at: now }
    const refilled = refilledTokens(bucket.tokens, bucket.at, perSecond, now)
    const ok = refilled >= events
    this.#buckets.set(appId, { tokens: ok ? refilled - events : refilled, at: now })
    return ok
  }
}
