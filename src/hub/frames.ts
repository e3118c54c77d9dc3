/**
 * Framing of cluster messages for this node's sockets: each node turns the one message that travelled
 * between nodes into the frames of each dialect, once per message (not once per subscriber).
 */
import type { EventMessage, MemberMessage } from '../adapters/adapter.js'
import { encodeChannelEvent, encodeDialectEvent, encodeDialectPayload, type ChannelFrames } from '../protocol/codec.js'
import { DIALECTS } from '../protocol/dialect.js'
import { SUBSCRIPTION_COUNT_EVENT } from './subscription-counts.js'

/** A channel event's frames: the same string for both dialects unless the data is not JSON. */
export function eventFrames (message: EventMessage): ChannelFrames {
  // The subscription count travels under its Pusher name and is framed in each dialect's own (an event of
  // that name from elsewhere, a backend's, keeps its data as sent).
  if (message.name === SUBSCRIPTION_COUNT_EVENT && message.json === undefined) {
    return encodeDialectPayload('subscriptionCount', message.channel, message.data)
  }
  const data = { text: message.data, json: message.json ?? message.data }
  return encodeChannelEvent(message.name, message.channel, data,
    message.userId === undefined ? undefined : { user_id: message.userId })
}

/** `<p>_internal:member_added` / `member_removed`. */
export function memberFrames (message: MemberMessage): ChannelFrames {
  return message.added
    ? encodeDialectEvent('memberAdded', message.channel, { user_id: message.userId, user_info: message.info ?? null })
    : encodeDialectEvent('memberRemoved', message.channel, { user_id: message.userId })
}

/** `<p>_internal:watchlist_events` for both dialects (no channel). */
export function watchlistFrames (name: 'online' | 'offline', userIds: readonly string[]): ChannelFrames {
  const data = JSON.stringify({ events: [{ name, user_ids: userIds }] })
  return {
    broadcastt: JSON.stringify({ event: DIALECTS.broadcastt.watchlistEvents, data }),
    pusher: JSON.stringify({ event: DIALECTS.pusher.watchlistEvents, data })
  }
}

/** An event's `data` as it travels: the text, plus the JSON form only when it differs. */
export function travellingData (data: { text: string, json: string }): { data: string, json?: string } {
  return data.json === data.text ? { data: data.text } : { data: data.text, json: data.json }
}
