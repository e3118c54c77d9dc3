/**
 * The hub's view of `auth/`: whether a subscribe's or a sign-in's signature holds, as a refusal message.
 */
import { verifyChannelAuth, verifyUserAuth } from '../auth/channel-auth.js'
import type { Connection } from './connection.js'

/**
 * Why the `auth` of a private, encrypted or presence subscription is refused, or undefined when it holds.
 * Presence signs `<socket_id>:<channel>:<channel_data>` over the exact string received; the others (and a
 * signed-in connection's presence subscription without `channel_data`) sign `<socket_id>:<channel>`.
 */
export function channelSignatureProblem (
  conn: Connection, channel: string, auth: string | undefined, channelData: string | undefined
): string | undefined {
  if (auth === undefined || auth === '') return `auth is required to subscribe to ${channel}`
  if (!verifyChannelAuth(conn.app, conn.socketId, channel, auth, channelData)) return `Invalid signature for ${channel}`
  return undefined
}

/** Why a sign-in's `auth` (over `<socket_id>::user::<user_data>`) is refused, or undefined when it holds. */
export function userSignatureProblem (conn: Connection, userData: string, auth: string): string | undefined {
  if (auth === '') return 'auth is required to sign in'
  if (!verifyUserAuth(conn.app, conn.socketId, auth, userData)) return 'invalid signature'
  return undefined
}
