/**
 * The hub's view of `auth/`: whether a subscribe's or a sign-in's signature holds, as a refusal message.
 */
import type { Connection } from './connection.js'

/**
 * Why the `auth` of a private, encrypted or presence subscription is refused, or undefined when it holds.
 * Presence signs `<socket_id>:<channel>:<channel_data>` over the exact string received; the others (and a
 * signed-in connection's presence subscription without `channel_data`) sign `<socket_id>:<channel>`.
 */
export function channelSignatureProblem (
  _conn: Connection, _channel: string, auth: string | undefined, _channelData: string | undefined
): string | undefined {
  if (auth === undefined || auth === '') return 'auth is required on this channel'
  return 'This server does not verify channel signatures yet'
}

/** Why a sign-in's `auth` (over `<socket_id>::user::<user_data>`) is refused, or undefined when it holds. */
export function userSignatureProblem (_conn: Connection, _userData: string, auth: string): string | undefined {
  if (auth === '') return 'auth is required to sign in'
  return 'This server does not verify user signatures yet'
}
