/**
 * Token buckets of `perSecond` capacity, refilled continuously: the client-event rate of a connection and
 * the backend event rate of an app. Callers keep the state (tokens and the time they were counted) wherever
 * it is cheapest — two numbers on a connection, a map entry per app.
 */

/** The tokens a bucket holds at `now` (ms), given `tokens` counted at `at`; never more than `perSecond`. */
export function refilledTokens (tokens: number, at: number, perSecond: number, now: number): number {
  return Math.min(perSecond, tokens + Math.max(0, now - at) * perSecond / 1000)
}
