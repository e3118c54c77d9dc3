/**
 * What an auth endpoint answers (PROTOCOL §6, §8), byte for byte as the Pusher server SDKs build it:
 * `{auth, channel_data?, shared_secret?}` for a channel, `{auth, user_data}` for a user sign-in.
 * Inputs are assumed valid; callers check socket ids and channel names first.
 */
import { signChannel, signUser, type SigningApp } from './channel-auth.js'
import { channelSharedSecret } from './encryption.js'

/** The answer to a channel authorization request. */
export interface ChannelAuthResponse {
  /** `<app key>:<hex HMAC-SHA256>` */
  auth: string
  /** Presence channels: the member as the JSON string that was signed. */
  channel_data?: string
  /** Encrypted channels: the channel's 32-byte secret in base64. */
  shared_secret?: string
}

/** The answer to a user authentication (sign-in) request. */
export interface UserAuthResponse {
  /** `<app key>:<hex HMAC-SHA256>` */
  auth: string
  /** The user as the JSON string that was signed. */
  user_data: string
}

/**
 * Signs `<socket_id>:<channel>` (or `<socket_id>:<channel>:<channel_data>` when `member` is given, serialized
 * once with JSON.stringify). `masterKey` is required for, and only used by, encrypted channels.
 */
export function channelAuthResponse (
  app: SigningApp, socketId: string, channel: string, member?: unknown, masterKey?: Buffer
): ChannelAuthResponse {
  const channelData = member === undefined ? undefined : JSON.stringify(member)
  const auth = signChannel(app, socketId, channel, channelData)
  // The SDKs' key order, so the serialized answer is the same bytes.
  const out: ChannelAuthResponse = channelData === undefined ? { auth } : { channel_data: channelData, auth }
  if (masterKey !== undefined) out.shared_secret = channelSharedSecret(masterKey, channel).toString('base64')
  return out
}

/** Signs `<socket_id>::user::<user_data>`, `user_data` being `user` serialized once with JSON.stringify. */
export function userAuthResponse (app: SigningApp, socketId: string, user: unknown): UserAuthResponse {
  const userData = JSON.stringify(user)
  return { auth: signUser(app, socketId, userData), user_data: userData }
}
