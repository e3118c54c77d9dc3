/**
 * The two dialects of the protocol (PROTOCOL.md §1). They share every JSON shape and differ only in the
 * event-name prefixes: `broadcastt:` / `broadcastt_internal:` and `pusher:` / `pusher_internal:`.
 */
export type DialectName = 'broadcastt' | 'pusher'

export const DIALECT_NAMES: readonly DialectName[] = ['broadcastt', 'pusher']

/** Pusher protocol versions served on the `pusher` dialect. */
export const PUSHER_PROTOCOL_VERSIONS = { min: 5, max: 7 } as const

export interface Dialect {
  readonly name: DialectName
  // server → client
  readonly connectionEstablished: string
  readonly error: string
  readonly pong: string
  readonly subscriptionSucceeded: string
  readonly subscriptionError: string
  readonly cacheMiss: string
  readonly signinSuccess: string
  readonly memberAdded: string
  readonly memberRemoved: string
  readonly watchlistEvents: string
  /** A channel's subscription count (app option `subscriptionCountEvents`). */
  readonly subscriptionCount: string
  // client → server
  readonly ping: string
  readonly subscribe: string
  readonly unsubscribe: string
  readonly signin: string
}

function dialect (name: DialectName): Dialect {
  const p = name + ':'
  const internal = name + '_internal:'
  return Object.freeze({
    name,
    connectionEstablished: p + 'connection_established',
    error: p + 'error',
    pong: p + 'pong',
    subscriptionSucceeded: internal + 'subscription_succeeded',
    subscriptionError: p + 'subscription_error',
    cacheMiss: p + 'cache_miss',
    signinSuccess: p + 'signin_success',
    memberAdded: internal + 'member_added',
    memberRemoved: internal + 'member_removed',
    watchlistEvents: internal + 'watchlist_events',
    subscriptionCount: internal + 'subscription_count',
    ping: p + 'ping',
    subscribe: p + 'subscribe',
    unsubscribe: p + 'unsubscribe',
    signin: p + 'signin'
  })
}

export const DIALECTS: Readonly<Record<DialectName, Dialect>> = Object.freeze({
  broadcastt: dialect('broadcastt'),
  pusher: dialect('pusher')
})

export type DialectChoice =
  | { readonly ok: true, readonly dialect: Dialect }
  | { readonly ok: false, readonly error: 'InvalidProtocol' | 'UnsupportedProtocol' }

/**
 * Chooses the dialect at the upgrade from the `protocol` query parameter: present → `pusher` (an integer
 * within the served versions), absent → `broadcastt`. `allowed` is the app's `dialects` option.
 */
export function chooseDialect (protocol: string | undefined, allowed: readonly DialectName[]): DialectChoice {
  let name: DialectName = 'broadcastt'
  if (protocol !== undefined) {
    if (!/^\d+$/.test(protocol)) return { ok: false, error: 'InvalidProtocol' }
    const version = Number(protocol)
    if (version < PUSHER_PROTOCOL_VERSIONS.min || version > PUSHER_PROTOCOL_VERSIONS.max) {
      return { ok: false, error: 'UnsupportedProtocol' }
    }
    name = 'pusher'
  }
  if (!allowed.includes(name)) return { ok: false, error: 'UnsupportedProtocol' }
  return { ok: true, dialect: DIALECTS[name] }
}
