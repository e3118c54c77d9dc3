/**
 * Presence channels (PROTOCOL.md §6): members keyed by user id. The adapter holds the member state; the
 * result of its atomic `addMember` / `removeMember` decides `member_added` / `member_removed`, so a user on
 * several connections counts once and the events are sent exactly once, cluster-wide.
 */
import type { PresenceMember } from '../adapters/adapter.js'
import { encodeDialectEvent } from '../protocol/codec.js'
import type { Connection } from './connection.js'
import type { Hub } from './hub.js'
import type { SubscriptionError } from './subscribe.js'
import { dict } from '../protocol/dict.js'

/** Longest presence user id, in characters. */
export const MAX_USER_ID_LENGTH = 128

/** A member, or the reason the subscription is refused. */
export type MemberOrProblem = { readonly member: PresenceMember } | { readonly problem: SubscriptionError }

const authError = (error: string): { problem: SubscriptionError } =>
  ({ problem: { type: 'AuthError', error } })

/** `user_id` as a string: strings as they are, finite numbers in their JSON spelling. */
function userIdOf (value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isFinite(value)) return JSON.stringify(value)
  return undefined
}

/**
 * The member that a subscribe's `channel_data` names (a JSON object string with `user_id` and optional
 * `user_info`, at most `maxBytes` bytes). Without `channel_data`, a signed-in connection joins as its user.
 */
export function presenceMember (conn: Connection, channelData: string | undefined, maxBytes: number): MemberOrProblem {
  if (channelData === undefined) {
    if (conn.userId === undefined) return authError('channel_data is required on a presence channel unless the connection signed in')
    return { member: { id: conn.userId, info: conn.userInfo ?? null } }
  }
  const bytes = Buffer.byteLength(channelData)
  if (bytes > maxBytes) return authError(`channel_data is ${bytes} bytes; the limit is ${maxBytes}`)
  let parsed: unknown
  try {
    parsed = JSON.parse(channelData)
  } catch {
    return authError('channel_data must be a JSON object string')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return authError('channel_data must be a JSON object string')
  }
  const data = parsed as { user_id?: unknown, user_info?: unknown }
  const id = userIdOf(data.user_id)
  if (id === undefined || id.length === 0) return authError('channel_data.user_id must be a non-empty string or a number')
  if (id.length > MAX_USER_ID_LENGTH) return authError(`channel_data.user_id is longer than ${MAX_USER_ID_LENGTH} characters`)
  return { member: { id, info: data.user_info ?? null } }
}

/** The `subscription_succeeded` data of a presence channel: `{"presence":{"ids","hash","count"}}`. */
export function presenceData (members: readonly PresenceMember[]): unknown {
  const ids: string[] = []
  const hash = dict<unknown>()
  for (const { id, info } of members) {
    ids.push(id)
    hash[id] = info
  }
  return { presence: { ids, hash, count: ids.length } }
}

export type JoinOutcome = 'joined' | 'full' | 'gone'

/**
 * Adds the connection to a presence channel as `member`, sends it `subscription_succeeded` with the member
 * list, and announces a new user to the other subscribers. The caller has checked authorization and the
 * connection's channel limit.
 */
export async function joinPresence (hub: Hub, conn: Connection, channel: string, member: PresenceMember):
Promise<JoinOutcome> {
  const { app } = conn
  const result = await hub.adapter.addMember(app.id, channel, conn.socketId, member, app.limits.presenceMembers)
  if (!result.ok) return 'full'
  if (!conn.open) {
    // Closed while the adapter answered: the hub no longer knows this connection, so undo the join here.
    await leavePresence(hub, app.id, channel, conn.socketId)
    return 'gone'
  }
  conn.presence ??= new Map()
  conn.presence.set(channel, member.id)
  hub.subscribe(conn, channel)
  conn.sendEvent(conn.dialect.subscriptionSucceeded, presenceData(result.members), channel)
  if (result.first) {
    const frames = encodeDialectEvent('memberAdded', channel, { user_id: member.id, user_info: member.info })
    hub.background(hub.publish(app.id, channel, frames, conn.socketId))
    hub.events.emit('member_added', { appId: app.id, channel, userId: member.id, userInfo: member.info })
  }
  return 'joined'
}

/** Removes a connection from a presence channel; announces the user's departure when it was their last. */
export async function leavePresence (hub: Hub, appId: string, channel: string, socketId: string): Promise<void> {
  const userId = await hub.adapter.removeMember(appId, channel, socketId)
  if (userId === undefined) return
  await hub.publish(appId, channel, encodeDialectEvent('memberRemoved', channel, { user_id: userId }))
  hub.events.emit('member_removed', { appId, channel, userId })
}
