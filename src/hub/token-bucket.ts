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
