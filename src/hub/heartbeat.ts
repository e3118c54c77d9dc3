/**
 * Liveness (PROTOCOL.md §4) for every connection with one sweeping interval: O(1) state per connection
 * (two numbers), no per-connection timers, and the interval never keeps the process alive. The same sweep
 * enforces the "authorized connections" deadline (PROTOCOL.md §8).
 */
import type { Clock } from '../options.js'
import { WireError } from '../protocol/wire-errors.js'
import type { Connection } from './connection.js'
import { checkAuthDeadline } from './users.js'

export const systemClock: Clock = {
  now: () => Date.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (timer) => { clearInterval(timer) }
}

/**
 * How long a connection the server closed (4201 dead peer, 4100 slow consumer, 4009, …) may take to answer
 * the close frame before its socket is cut. Until the socket closes, the connection stays in its channels
 * and presence and its send buffer stays allocated; ws alone would wait 30 s. The sweep first sees the
 * closing connection and cuts it on the first sweep at least this long after, so within about 1–2 s.
 */
export const CLOSE_GRACE_MS = 1000

export class Heartbeat {
  /** The time of the last sweep; inbound activity is stamped with it (no clock read per frame). */
  now: number
  #timer: unknown

  constructor (
    private readonly clock: Clock,
    private readonly activityMs: number,
    private readonly pongMs: number,
    private readonly connections: () => Iterable<Connection>
  ) {
    this.now = clock.now()
  }

  /** Sweeps often enough to act within a tenth of the shorter timeout, and at least once a second. */
  start (): void {
    const every = Math.max(10, Math.min(1000, Math.floor(Math.min(this.activityMs, this.pongMs) / 10)))
    const timer = this.clock.setInterval(() => { this.sweep() }, every) as { unref?: () => void }
    timer.unref?.()
    this.#timer = timer
  }

  stop (): void {
    if (this.#timer !== undefined) this.clock.clearInterval(this.#timer as never)
    this.#timer = undefined
  }

  /** Marks a connection as alive now; called for every inbound frame, ping and pong. */
  touch (conn: Connection): void {
    conn.lastSeen = this.now
    conn.pingedAt = -1
  }

  /** A connection closed by the server that is still waiting for the peer's close frame. */
  #closing (conn: Connection, now: number): void {
    if (conn.closingSince === -1) conn.closingSince = now
    else if (now - conn.closingSince >= CLOSE_GRACE_MS) conn.socket.terminate()
  }

  sweep (): void {
    const now = this.now = this.clock.now()
    for (const conn of this.connections()) {
      if (!conn.open) {
        this.#closing(conn, now)
        continue
      }
      checkAuthDeadline(conn, now)
      if (conn.pingedAt !== -1) {
        if (now - conn.pingedAt >= this.pongMs) conn.close(WireError.PongNotReceived)
      } else if (now - conn.lastSeen >= this.activityMs) {
        conn.pingedAt = now
        conn.socket.ping()
      }
    }
  }
}
