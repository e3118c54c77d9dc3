/**
 * The frame budget of a connection (docs/hardening.md): every inbound frame — subscribe, unsubscribe,
 * sign-in, ping, client event, malformed, binary, and RFC 6455 pings — takes one token from a bucket of
 * `channelsPerConnection + frameBurst` tokens refilled at `framesPerSecond`. A frame with no token left is
 * dropped unread; the first of a run of such frames is answered with `error` 4303, the rest of the run
 * silently (a flood must not make the server write one error per frame it drops). A client that keeps
 * sending through `frameBurst` refused frames is closed with 4100 (reconnect after backing off) and no longer
 * read; the close grace (hub/heartbeat.ts) cuts its socket. Two numbers on the connection, no allocation.
 */
import { WireError } from '../protocol/wire-errors.js'
import type { Connection } from './connection.js'
import { refilledTokens } from './token-bucket.js'

/**
 * Takes a token for one inbound frame at `now` (ms); false when the frame must be dropped (the client has
 * been told, or closed). A `framesPerSecond` of 0 is unlimited.
 */
export function admitFrame (conn: Connection, now: number): boolean {
  const { framesPerSecond: rate, frameBurst: burst, channelsPerConnection } = conn.app.limits
  if (rate === 0) return true
  const admittedLast = conn.frameTokens >= 0
  const tokens = refilledTokens(conn.frameTokens, conn.framesAt, rate, now, channelsPerConnection + burst) - 1
  conn.frameTokens = tokens
  conn.framesAt = now
  if (tokens >= 0) return true
  if (conn.traffic !== undefined) conn.traffic.frameRateRefusals++
  if (tokens < -burst) {
    conn.close(WireError.OverCapacity, `Over the frame budget of ${rate} per second; reconnect after backing off`)
    // Stop reading: a flood would otherwise be read and dropped until the close grace cuts the socket.
    conn.socket.pause()
  } else if (admittedLast) {
    conn.error(WireError.FrameRateLimit,
      `Frame dropped: at most ${rate} frames per second (burst ${burst}); slow down. Frames are dropped without an answer until then`)
  }
  return false
}

/** How long an address stays on short rations after one of its connections was closed for the frame budget. */
export const SHORT_RATIONS_MS = 60_000
/** At most this many addresses are remembered (the oldest mark goes first). */
const MAX_ADDRESSES = 10_000

/**
 * Client addresses one of whose connections was closed for the frame budget in the last `SHORT_RATIONS_MS`,
 * with that connection's tokens (in debt) at its close: a new connection from one does not start with a
 * full bucket but where the closed one left off, refilled at `framesPerSecond` since, up to one second's
 * worth. While the address is still in debt its upgrades are refused before they are made (`retryAfter`),
 * the cheapest answer to a client that reconnects at once. Kept only where addresses are read
 * (`maxConnectionsPerIp` set, as in the standalone server).
 */
export class ShortRations {
  readonly #marks = new Map<string, { until: number, tokens: number, at: number, rate: number }>()

  /** Marks the address of `conn`, which `admitFrame` has just closed for its frame budget. */
  mark (address: string, conn: Connection, now: number): void {
    this.#marks.delete(address)
    const rate = conn.app.limits.framesPerSecond
    this.#marks.set(address, { until: now + SHORT_RATIONS_MS, tokens: conn.frameTokens, at: now, rate })
    if (this.#marks.size > MAX_ADDRESSES) this.#marks.delete(this.#marks.keys().next().value as string)
  }

  /** Whole seconds until the address's debt is paid; 0 when it has none. */
  retryAfter (address: string, now: number): number {
    const mark = this.#marks.get(address)
    if (mark === undefined || mark.until <= now) return 0
    const tokens = refilledTokens(mark.tokens, mark.at, mark.rate, now, mark.rate)
    return tokens >= 0 ? 0 : Math.ceil(-tokens / mark.rate)
  }

  /** Starts `conn`'s frame budget where the address's closed connection left off, when the address is marked. */
  apply (conn: Connection, address: string, now: number): void {
    const mark = this.#marks.get(address)
    if (mark === undefined) return
    if (mark.until <= now) {
      this.#marks.delete(address)
      return
    }
    const rate = conn.app.limits.framesPerSecond
    conn.frameTokens = refilledTokens(mark.tokens, mark.at, rate, now, rate)
    conn.framesAt = now
  }
}
