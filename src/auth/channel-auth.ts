/**
 * Channel (private, encrypted, presence) and user sign-in signatures (PROTOCOL §6, §8).
 * An `auth` value is `<app key>:<hex HMAC-SHA256 with the app secret>`.
 */
import { hmacSha256Hex, safeEqualHex } from './hmac.js'

/** The credentials a signature needs. */
export interface SigningApp {
  readonly key: string
  readonly secret: string
}

/**
 * The string a channel signature covers: `<socket_id>:<channel>`, or
 * `<socket_id>:<channel>:<channel_data>` when `channelData` is given (the exact string received,
 * never re-serialized).
 */
export function channelSignatureString (socketId: string, channel: string, channelData?: string): string {
  return channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`
}

/** The string a user sign-in signature covers: `<socket_id>::user::<user_data>`. */
export function userSignatureString (socketId: string, userData: string): string {
  return `${socketId}::user::${userData}`
}

/** The `auth` value an auth endpoint returns for a channel subscription: `<key>:<hex>`. */
export function signChannel (app: SigningApp, socketId: string, channel: string, channelData?: string): string {
  return `${app.key}:${hmacSha256Hex(app.secret, channelSignatureString(socketId, channel, channelData))}`
}

/** The `auth` value a user-authentication endpoint returns for a sign-in: `<key>:<hex>`. */
export function signUser (app: SigningApp, socketId: string, userData: string): string {
  return `${app.key}:${hmacSha256Hex(app.secret, userSignatureString(socketId, userData))}`
}

/**
 * True when `auth` is a string `<key>:<hex>` carrying this app's key and the signature of
 * `channelSignatureString(socketId, channel, channelData)`, compared in constant time.
 * An empty channel is refused: `<socket_id>::user::…` would otherwise pass a user signature off as one.
 */
export function verifyChannelAuth (
  app: SigningApp, socketId: string, channel: string, auth: unknown, channelData?: string
): boolean {
  return channel !== '' && verifyAuth(app, auth, channelSignatureString(socketId, channel, channelData))
}

/** True when `auth` is this app's `<key>:<hex>` signature of `<socket_id>::user::<user_data>`. */
export function verifyUserAuth (app: SigningApp, socketId: string, auth: unknown, userData: string): boolean {
  return verifyAuth(app, auth, userSignatureString(socketId, userData))
}

function verifyAuth (app: SigningApp, auth: unknown, signed: string): boolean {
  if (typeof auth !== 'string') return false
  const colon = auth.lastIndexOf(':')
  if (colon < 0 || auth.slice(0, colon) !== app.key) return false
  return safeEqualHex(auth.slice(colon + 1), hmacSha256Hex(app.secret, signed))
}
