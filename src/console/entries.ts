/**
 * What the console's log shows of each hub event: one entry `{ time, kind, type, ... }` per event, the app
 * id left out (a tab follows one app). `kind` is what the page filters on. Event data is cut to
 * `DATA_CHARS` characters (`truncated: true`); `bytes` is always its full size.
 */
import type { HubEvents } from '../hub/events.js'

export const ENTRY_KINDS = ['connection', 'subscription', 'channel', 'event', 'client_event', 'member', 'user', 'webhook'] as const
export type EntryKind = typeof ENTRY_KINDS[number]

/** Characters of an event's data an entry carries at most. */
export const DATA_CHARS = 16 * 1024

/** The hub events the console follows, and the kind of entry each makes. */
export const FOLLOWED: { readonly [E in keyof HubEvents]?: EntryKind } = {
  connection_opened: 'connection',
  connection_closed: 'connection',
  connection_refused: 'connection',
  subscribed: 'subscription',
  unsubscribed: 'subscription',
  channel_occupied: 'channel',
  channel_vacated: 'channel',
  cache_miss: 'channel',
  event_triggered: 'event',
  client_event: 'client_event',
  member_added: 'member',
  member_removed: 'member',
  user_signed_in: 'user',
  webhook_delivered: 'webhook',
  webhook_retried: 'webhook',
  webhook_failed: 'webhook',
  webhook_overflow: 'webhook'
}

export type FollowedEvent = keyof typeof FOLLOWED

/** The JSON text of the entry of one hub event. */
export function entryJson (type: FollowedEvent, kind: EntryKind, payload: { appId?: string | undefined }, time: number): string {
  const { appId: _app, ...fields } = payload as Record<string, unknown>
  const data = fields.data
  if (typeof data === 'string') {
    fields.bytes = Buffer.byteLength(data)
    if (data.length > DATA_CHARS) {
      fields.data = data.slice(0, DATA_CHARS)
      fields.truncated = true
    }
  }
  return JSON.stringify({ time, kind, type, ...fields })
}
