/**
 * Channel names and kinds (PROTOCOL.md §6). The kind decides authentication, whether client events are
 * allowed and whether the last event is cached.
 */
export type ChannelKind = 'public' | 'private' | 'presence' | 'encrypted' | 'user'

export interface ChannelType {
  readonly kind: ChannelKind
  /** Subscribing needs a signature (private, presence and encrypted channels). */
  readonly needsAuth: boolean
  /** Clients may send `client-` events on it. */
  readonly clientEvents: boolean
  /** The last triggered event is kept and replayed to new subscribers. */
  readonly cached: boolean
}

const USER_CHANNEL_PREFIX = '#server-to-user-'

/** Longest match first: the order of this table is the order of the PROTOCOL.md §6 table. */
const PREFIXES: ReadonlyArray<readonly [string, ChannelType]> = [
  ['private-encrypted-cache-', { kind: 'encrypted', needsAuth: true, clientEvents: false, cached: true }],
  ['private-encrypted-', { kind: 'encrypted', needsAuth: true, clientEvents: false, cached: false }],
  ['private-cache-', { kind: 'private', needsAuth: true, clientEvents: true, cached: true }],
  ['presence-cache-', { kind: 'presence', needsAuth: true, clientEvents: true, cached: true }],
  ['cache-', { kind: 'public', needsAuth: false, clientEvents: false, cached: true }],
  ['private-', { kind: 'private', needsAuth: true, clientEvents: true, cached: false }],
  ['presence-', { kind: 'presence', needsAuth: true, clientEvents: true, cached: false }],
  [USER_CHANNEL_PREFIX, { kind: 'user', needsAuth: false, clientEvents: false, cached: false }]
]

const PUBLIC: ChannelType = { kind: 'public', needsAuth: false, clientEvents: false, cached: false }

export function channelType (name: string): ChannelType {
  for (const [prefix, type] of PREFIXES) {
    if (name.startsWith(prefix)) return type
  }
  return PUBLIC
}

const NAME_CHARS = /^[A-Za-z0-9_\-=@,.;]+$/

/**
 * Returns why a channel name is invalid, or `undefined` when it is valid. `#` is reserved for
 * `#server-to-user-{id}`, whose id part follows the same character rules.
 */
export function channelNameProblem (name: unknown, maxLength: number): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'Channel name must be a non-empty string'
  if (name.length > maxLength) return `Channel name is longer than ${maxLength} characters`
  const rest = name.startsWith(USER_CHANNEL_PREFIX) ? name.slice(USER_CHANNEL_PREFIX.length) : name
  if (!NAME_CHARS.test(rest)) {
    return 'Channel name may only contain A-Z, a-z, 0-9 and _ - = @ , . ; (and # only as #server-to-user-)'
  }
  return undefined
}

/** The user id of a `#server-to-user-{id}` channel, or undefined for any other channel. */
export function userOfChannel (name: string): string | undefined {
  return name.startsWith(USER_CHANNEL_PREFIX) ? name.slice(USER_CHANNEL_PREFIX.length) : undefined
}

export function userChannel (userId: string): string {
  return USER_CHANNEL_PREFIX + userId
}
