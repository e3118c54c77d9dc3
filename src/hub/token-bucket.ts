/**
 * Token buckets refilled continuously at `perSecond`: the frame budget and the client-event rate of a
 * connection, and the per-app rates (backend events, REST reads). Callers keep the state (tokens and the time
 * they were counted) wherever it is cheapest — two numbers on a connection, a map entry per app.
 */

/**
 * The tokens a bucket holds at `now` (ms), given `tokens` counted at `at`; never more than `capacity`
 * (one second's worth unless given).
 */
export function refilledTokens (tokens: number, at: number, perSecond: number, now: number, capacity = perSecond): number {
  return Math.min(capacity, tokens + Math.max(0, now - at) * perSecond / 1000)
}

/** Buckets by key, created full on first use: what one process counts of a rate (`take`). */
export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number, at: number }>()

  /**
   * Takes `count` tokens from the bucket of `key` (capacity: one second's worth) at `now` (ms), all or
   * none; false when it holds fewer. A rate of 0 is unlimited.
   */
  take (key: string, perSecond: number, count: number, now: number): boolean {
    if (perSecond <= 0) return true
    let bucket = this.#buckets.get(key)
    if (bucket === undefined) {
      bucket = { tokens: perSecond, at: now }
      this.#buckets.set(key, bucket)
    }
    const refilled = refilledTokens(bucket.tokens, bucket.at, perSecond, now)
    const ok = refilled >= count
    bucket.tokens = ok ? refilled - count : refilled
    bucket.at = now
    return ok
  }
}
