/**
 * Presence channels (PROTOCOL.md §6): members keyed by user id. The adapter holds the member state; the
 * result of its atomic `addMember` / `removeMember` decides `member_added` / `member_removed`, so a user on
 * several connections counts once and the events are sent exactly once, cluster-wide.
 */
import type { Decisions, PresenceMember } from '../adapters/adapter.js'
import { channelType } from '../protocol/channel-name.js'
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
    const info = conn.userInfo ?? null
    const infoBytes = Buffer.byteLength(JSON.stringify(info))
    if (infoBytes > maxBytes) return authError(`the signed-in user's user_info is ${infoBytes} bytes; the limit is ${maxBytes}`)
    return { member: { id: conn.userId, info } }
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

/** `joined` with the member list's sequence number, or why not. */
export type JoinOutcome = { readonly joined: number } | 'full' | 'gone'

/**
 * Adds the connection to a presence channel as `member`, sends it `subscription_succeeded` with the member
 * list, and announces a new user to the other subscribers. The caller has checked authorization and the
 * connection's channel limit. The connection subscribes (held) before the adapter adds it, so no member
 * event decided after the member list was read is lost; those the list already reflects are dropped.
 */
export async function joinPresence (hub: Hub, conn: Connection, channel: string, member: PresenceMember):
Promise<JoinOutcome> {
  const { app } = conn
  await hub.subscribe(conn, channel, true)
  let result
  try {
    result = await hub.call(hub.adapter.addMember(app.id, channel, conn.socketId, member, app.limits.presenceMembers), 'addMember')
  } catch (error) {
    hub.unsubscribe(conn, channel)
    // A call that timed out may still land: take the socket out again (a no-op when it never was added).
    hub.background(leavePresence(hub, app.id, channel, conn.socketId))
    throw error
  }
  if (!result.ok) {
    hub.unsubscribe(conn, channel)
    return 'full'
  }
  if (!conn.open || !conn.channels.has(channel)) {
    // Gone while the adapter answered: the hub no longer knows this membership, so undo the join here. A
    // user this join made a member was never announced, so its removal is not announced either.
    const removed = await hub.call(hub.adapter.removeMember(app.id, channel, conn.socketId), 'removeMember')
    if (removed !== undefined && !result.first) await memberRemoved(hub, app.id, channel, removed.userId, removed.seq)
    return 'gone'
  }
  conn.presence ??= new Map()
  conn.presence.set(channel, member.id)
  if (result.first) {
    // Published before the joiner's reply goes out: whoever hears from the joiner next also knows it joined.
    const message = {
      type: 'member', appId: app.id, channel, added: true, userId: member.id, info: member.info, except: conn.socketId, seq: result.seq
    } as const
    hub.background(hub.publish(message))
  }
  conn.sendEvent(conn.dialect.subscriptionSucceeded, presenceData(result.members), channel)
  if (result.first) hub.events.emit('member_added', { appId: app.id, channel, userId: member.id, userInfo: member.info })
  // A cache channel's held frames wait for its cached event too (subscribe.ts ends the sync).
  if (!channelType(channel).cached) hub.endSync(conn, channel, { member: result.seq })
  return { joined: result.seq }
}

/** Removes a connection from a presence channel; announces the user's departure when it was their last. */
export async function leavePresence (hub: Hub, appId: string, channel: string, socketId: string): Promise<void> {
  const removed = await hub.call(hub.adapter.removeMember(appId, channel, socketId), 'removeMember')
  if (removed === undefined) return
  await memberRemoved(hub, appId, channel, removed.userId, removed.seq)
}

async function memberRemoved (hub: Hub, appId: string, channel: string, userId: string, seq: number): Promise<void> {
  await hub.publish({ type: 'member', appId, channel, added: false, userId, seq })
  hub.events.emit('member_removed', { appId, channel, userId })
}

/** Announces transitions the adapter decided on its own (a dead node's records removed, Redis restored). */
export function announceDecided (hub: Hub, decisions: Decisions): void {
  for (const { appId, channel } of decisions.occupied ?? []) hub.events.emit('channel_occupied', { appId, channel })
  for (const { appId, channel, member, seq } of decisions.added ?? []) {
    const { id: userId, info } = member
    hub.background(hub.publish({ type: 'member', appId, channel, added: true, userId, info, seq }))
    hub.events.emit('member_added', { appId, channel, userId, userInfo: info })
  }
  for (const { appId, channel, userId, seq } of decisions.removed ?? []) {
    hub.background(memberRemoved(hub, appId, channel, userId, seq))
  }
  for (const { appId, channel } of decisions.vacated ?? []) hub.events.emit('channel_vacated', { appId, channel })
  for (const { appId, userId } of decisions.online ?? []) {
    hub.background(hub.publish({ type: 'watchlist', appId, userId, online: true }))
  }
  for (const { appId, userId } of decisions.offline ?? []) {
    hub.background(hub.publish({ type: 'watchlist', appId, userId, online: false }))
  }
}
