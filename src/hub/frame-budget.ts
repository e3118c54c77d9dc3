/**
 * The frame budget of a connection (docs/hardening.md): every inbound frame — subscribe, unsubscribe,
 * sign-in, ping, client event, malformed, binary, and RFC 6455 pings — takes one token from a bucket of
 * `channelsPerConnection + frameBurst` tokens refilled at `framesPerSecond`. A frame with no token left is
 * dropped unread and answered with `error` 4303; a client that keeps sending through `frameBurst` refused
 * frames is closed with 4100 (reconnect after backing off). Two numbers on the connection, no allocation.
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
  const tokens = refilledTokens(conn.frameTokens, conn.framesAt, rate, now, channelsPerConnection + burst) - 1
  conn.frameTokens = tokens
  conn.framesAt = now
  if (tokens >= 0) return true
  if (conn.traffic !== undefined) conn.traffic.frameRateRefusals++
  if (tokens < -burst) {
    conn.close(WireError.OverCapacity, `Over the frame budget of ${rate} per second; reconnect after backing off`)
  } else {
    conn.error(WireError.FrameRateLimit, `Frame dropped: at most ${rate} frames per second (burst ${burst}); slow down`)
  }
  return false
}
