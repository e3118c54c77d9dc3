/**
 * Encoding and decoding of frames (PROTOCOL.md §3).
 *
 * Server → client `data` is always a string holding JSON. Channel events carry no dialect prefix, so one
 * serialized frame serves every subscriber — except when a backend's `data` is a string that is not JSON:
 * `broadcastt` connections then get it JSON-encoded, `pusher` connections get it unchanged.
 */
import { DIALECTS, type Dialect } from './dialect.js'
import { checkInboundFrame, type InboundFrame } from './messages.js'

export type Decoded =
  | { readonly ok: true, readonly frame: InboundFrame }
  | { readonly ok: false, readonly message: string }

/** Parses one inbound text frame into the envelope; never throws. */
export function decodeFrame (raw: string): Decoded {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return { ok: false, message: 'Invalid JSON' }
  }
  if (!checkInboundFrame.Check(value)) {
    return { ok: false, message: 'A frame must be a JSON object with an "event" string' }
  }
  return { ok: true, frame: value }
}

/** Client `data` may be an object or a JSON string holding one; returns the object or undefined. */
export function dataObject (data: unknown): Record<string, unknown> | undefined {
  let value = data
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    } catch {
      return undefined
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  return value as Record<string, unknown>
}

/** A protocol frame; `data` is serialized to a string when it is not one already. */
export function encodeFrame (event: string, data: unknown, channel?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data ?? {})
  return channel === undefined
    ? JSON.stringify({ event, data: payload })
    : JSON.stringify({ event, channel, data: payload })
}

export function isJson (text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** The two serializations of one channel event; the same string when `data` is valid JSON. */
export interface ChannelFrames {
  readonly broadcastt: string
  readonly pusher: string
}

/**
 * An event's `data` as it travels, computed once per event: `text` as the backend or client sent it (non-string
 * data serialized), `json` the same but always valid JSON (a non-JSON string JSON-encoded, for `broadcastt`).
 */
export interface EventData {
  readonly text: string
  readonly json: string
}

export function eventData (data: unknown): EventData {
  if (typeof data !== 'string') {
    const text = JSON.stringify(data ?? {})
    return { text, json: text }
  }
  return { text: data, json: isJson(data) ? data : JSON.stringify(data) }
}

/**
 * Serializes a channel event once for all subscribers of a channel, for both dialects (one string when the
 * data is valid JSON); `extra` adds fields such as `user_id`.
 */
export function encodeChannelEvent (
  event: string, channel: string, data: EventData, extra?: Readonly<Record<string, string>>
): ChannelFrames {
  const pusher = JSON.stringify({ event, channel, data: data.text, ...extra })
  if (data.json === data.text) return { broadcastt: pusher, pusher }
  return { broadcastt: JSON.stringify({ event, channel, data: data.json, ...extra }), pusher }
}

/** Names of the dialect-specific protocol events (`<p>:…`, `<p>_internal:…`). */
export type DialectEvent = Exclude<keyof Dialect, 'name'>

/**
 * Serializes a protocol event sent on a channel (e.g. `member_added`) for both dialects at once: `data` is
 * serialized once, only the event name differs.
 */
export function encodeDialectEvent (event: DialectEvent, channel: string, data: unknown): ChannelFrames {
  return encodeDialectPayload(event, channel, JSON.stringify(data ?? {}))
}

/** `encodeDialectEvent` for data that is already a JSON string (an event that came from another node). */
export function encodeDialectPayload (event: DialectEvent, channel: string, payload: string): ChannelFrames {
  return {
    broadcastt: JSON.stringify({ event: DIALECTS.broadcastt[event], channel, data: payload }),
    pusher: JSON.stringify({ event: DIALECTS.pusher[event], channel, data: payload })
  }
}
