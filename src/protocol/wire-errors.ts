/**
 * The one table of wire error codes (PROTOCOL.md §5). Every `error` event and every close code the server
 * sends comes from here; no numeric code is written anywhere else.
 */
export const WireError = {
  /** The app key in the path does not exist. */
  AppNotFound: { code: 4001, closes: true, reason: 'App key does not exist' },
  /** The app exists but is disabled. */
  AppDisabled: { code: 4003, closes: true, reason: 'App is disabled' },
  /** The app has reached its connection quota. */
  AppOverQuota: { code: 4004, closes: true, reason: 'App is over its connection quota' },
  /** The request path does not name an app. */
  PathNotFound: { code: 4005, closes: true, reason: 'Path not found' },
  /** The `protocol` query parameter is not an integer. */
  InvalidProtocol: { code: 4006, closes: true, reason: 'Invalid protocol version' },
  /** The protocol version or dialect is not served. */
  UnsupportedProtocol: { code: 4007, closes: true, reason: 'Unsupported protocol version' },
  /** Origin refused, sign-in failed, not authorized in time, or terminated by the backend. */
  Unauthorized: { code: 4009, closes: true, reason: 'Unauthorized' },
  /** The server is over capacity, or the client reads too slowly (its send buffer overflowed). */
  OverCapacity: { code: 4100, closes: true, reason: 'Over capacity' },
  /** The server is shutting down; reconnect at once. */
  ReconnectNow: { code: 4200, closes: true, reason: 'Server is shutting down, reconnect' },
  /** No pong (or any other frame) arrived after a ping. */
  PongNotReceived: { code: 4201, closes: true, reason: 'Pong reply not received in time' },
  /** A client event was refused; the connection stays open. */
  ClientEventRejected: { code: 4301, closes: false, reason: 'Client event rejected' },
  /** A sign-in watchlist was longer than allowed; the connection stays open. */
  WatchlistLimit: { code: 4302, closes: false, reason: 'Watchlist limit exceeded' },
  /** A frame over the connection's frame budget was dropped unread; the connection stays open. */
  FrameRateLimit: { code: 4303, closes: false, reason: 'Too many frames; slow down' },
  /** An inbound frame above the app's frame limit (RFC 6455 "message too big"). */
  FrameTooLarge: { code: 1009, closes: true, reason: 'Frame too large' },
  /** Malformed frames, unknown events and other non-fatal errors: `code` is null. */
  Generic: { code: null, closes: false, reason: 'Error' }
} as const satisfies Record<string, WireErrorSpec>

export interface WireErrorSpec {
  readonly code: number | null
  readonly closes: boolean
  /** Default human-readable message; also the close reason when none is given (≤ 123 bytes). */
  readonly reason: string
}

export type WireErrorName = keyof typeof WireError

/** Close reasons must fit in a control frame: 123 bytes of UTF-8. */
export function closeReason (message: string): string {
  if (Buffer.byteLength(message) <= 123) return message
  let out = message.slice(0, 120)
  while (Buffer.byteLength(out) > 120) out = out.slice(0, -1)
  return out + '...'
}
