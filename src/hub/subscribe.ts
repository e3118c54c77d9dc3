/**
 * `<p>:subscribe` and `<p>:unsubscribe` (PROTOCOL.md §6): name rules, authorization per channel kind,
 * presence membership, the success or error frame, and the cache replay.
 */
import { channelNameProblem, channelType, userOfChannel } from '../protocol/channel-name.js'
import { dataObject } from '../protocol/codec.js'
import { checkSubscribeData, checkUnsubscribeData, type SubscribeData } from '../protocol/messages.js'
import { WireError } from '../protocol/wire-errors.js'
import { readCache, replayCache, type Prefetched } from './cache.js'
import type { Connection } from './connection.js'
import type { Hub } from './hub.js'
import { joinPresence, presenceData, presenceMember } from './presence.js'
import { channelSignatureProblem } from './signatures.js'

/** `subscription_error` types and the `status` each carries (PROTOCOL.md §6). */
const SUBSCRIPTION_ERROR_STATUS = {
  AuthError: 401,
  LimitReached: WireError.OverCapacity.code,
  InvalidChannel: 400,
  /** The adapter failed or did not answer in time; nothing was changed. */
  InternalError: 500
} as const

/** A subscription refusal; `status` follows from `type`. */
export interface SubscriptionError {
  type: keyof typeof SUBSCRIPTION_ERROR_STATUS
  error: string
}

export function subscriptionError (conn: Connection, channel: string, problem: SubscriptionError): void {
  conn.sendEvent(conn.dialect.subscriptionError, { ...problem, status: SUBSCRIPTION_ERROR_STATUS[problem.type] }, channel)
}

const channelLimit = (conn: Connection): SubscriptionError => ({
  type: 'LimitReached',
  error: `A connection may subscribe to at most ${conn.app.limits.channelsPerConnection} channels`
})

/** Why a connection may not subscribe to a non-presence channel, or undefined when it may. */
function authProblem (conn: Connection, body: SubscribeData): SubscriptionError | undefined {
  const { channel } = body
  const type = channelType(channel)
  if (type.kind === 'user') {
    if (conn.userId === undefined || userOfChannel(channel) !== conn.userId) {
      return { type: 'AuthError', error: 'Only the connection signed in as this user may subscribe' }
    }
    return undefined
  }
  if (!type.needsAuth) return undefined
  const problem = channelSignatureProblem(conn, channel, body.auth, undefined)
  return problem === undefined ? undefined : { type: 'AuthError', error: problem }
}

/**
 * Subscribes to a presence channel; resolves when the success or error frame has been sent, to the member
 * list's sequence number when the connection was newly added, else to undefined.
 */
async function subscribePresence (hub: Hub, conn: Connection, body: SubscribeData): Promise<number | undefined> {
  const { channel, channel_data: channelData } = body
  const signature = channelSignatureProblem(conn, channel, body.auth, channelData)
  if (signature !== undefined) {
    subscriptionError(conn, channel, { type: 'AuthError', error: signature })
    return undefined
  }
  const found = presenceMember(conn, channelData, conn.app.limits.presenceMemberBytes)
  if ('problem' in found) {
    subscriptionError(conn, channel, found.problem)
    return undefined
  }
  const already = hub.subscribeProblem(conn, channel)
  if (already === 'already') {
    conn.sendEvent(conn.dialect.subscriptionSucceeded, presenceData(await hub.members(conn.app.id, channel)), channel)
    return undefined
  }
  if (already === 'limit') {
    subscriptionError(conn, channel, channelLimit(conn))
    return undefined
  }
  const outcome = await joinPresence(hub, conn, channel, found.member)
  if (outcome === 'full') {
    subscriptionError(conn, channel, {
      type: 'LimitReached', error: `Presence channel is full (${conn.app.limits.presenceMembers} members)`
    })
  }
  return typeof outcome === 'object' ? outcome.joined : undefined
}

/** Subscribes to any other channel; truthy when the connection was newly added (with a cache channel's read). */
async function subscribeOther (hub: Hub, conn: Connection, body: SubscribeData): Promise<boolean | Prefetched> {
  const { channel } = body
  const problem = authProblem(conn, body)
  if (problem !== undefined) {
    subscriptionError(conn, channel, problem)
    return false
  }
  const cached = channelType(channel).cached
  const outcome = await hub.subscribe(conn, channel, cached)
  if (outcome === 'limit') {
    subscriptionError(conn, channel, channelLimit(conn))
    return false
  }
  // Read the cached event before answering, so a failed read can still refuse the subscription.
  const prefetched = outcome === 'subscribed' && cached ? { entry: await readCache(hub, conn, channel) } : undefined
  conn.sendEvent(conn.dialect.subscriptionSucceeded, {}, channel)
  return outcome === 'subscribed' ? (prefetched ?? true) : false
}

/** Handles `<p>:subscribe`; returns a promise when the outcome depends on the adapter. */
export function onSubscribe (hub: Hub, conn: Connection, data: unknown): Promise<void> | undefined {
  const body = dataObject(data)
  if (body === undefined || !checkSubscribeData.Check(body)) {
    conn.error(WireError.Generic, 'subscribe needs data {"channel": string, "auth"?: string, "channel_data"?: string}')
    return undefined
  }
  const { channel } = body
  const invalid = channelNameProblem(channel, conn.app.limits.nameLength)
  if (invalid !== undefined) {
    subscriptionError(conn, channel, { type: 'InvalidChannel', error: invalid })
    return undefined
  }
  const type = channelType(channel)
  const wasSubscribed = conn.channels.has(channel)
  const work = type.kind === 'presence'
    ? subscribePresence(hub, conn, body).then((seq) => afterSubscribe(hub, conn, channel, seq !== undefined, seq))
    : subscribeOther(hub, conn, body).then((added) =>
      afterSubscribe(hub, conn, channel, added !== false, undefined, typeof added === 'object' ? added : undefined))
  return work.catch((error: unknown) => { subscribeFailed(hub, conn, channel, wasSubscribed, error) })
}

/**
 * An adapter call of a subscription failed or timed out: the failure is reported, a subscription this
 * attempt made is undone (no half state: not in the channel, not in presence), and the client gets
 * `subscription_error` with status 500, after which it may retry.
 */
function subscribeFailed (hub: Hub, conn: Connection, channel: string, wasSubscribed: boolean, error: unknown): void {
  hub.reportError(error)
  if (!wasSubscribed) hub.unsubscribe(conn, channel)
  subscriptionError(conn, channel, { type: 'InternalError', error: 'The subscription could not be completed; try again' })
}

/**
 * After a new subscription: an authorized connection has met the deadline; cache channels replay, then
 * the frames held while subscribing follow.
 */
async function afterSubscribe (hub: Hub, conn: Connection, channel: string, added: boolean, memberSeq: number | undefined,
  prefetched?: Prefetched): Promise<void> {
  if (!added) return
  const type = channelType(channel)
  if (type.needsAuth) conn.authDeadline = -1
  if (type.cached) hub.endSync(conn, channel, { member: memberSeq, cache: await replayCache(hub, conn, channel, prefetched) })
}

/** Handles `<p>:unsubscribe`: no reply; leaving a presence channel may announce `member_removed`. */
export function onUnsubscribe (hub: Hub, conn: Connection, data: unknown): void {
  const body = dataObject(data)
  if (body === undefined || !checkUnsubscribeData.Check(body)) {
    conn.error(WireError.Generic, 'unsubscribe needs data {"channel": string}')
    return
  }
  hub.unsubscribe(conn, body.channel)
}
