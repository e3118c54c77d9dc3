/**
 * Client events (PROTOCOL.md §7): `client-…` events a connection sends on a private or presence channel it
 * is subscribed to, forwarded to the channel's other subscribers cluster-wide, never echoed. Refusals are
 * `error` 4301 (code null for a channel the sender is not subscribed to); the connection stays open.
 */
import { channelType } from '../protocol/channel-name.js'
import { eventData } from '../protocol/codec.js'
import { WireError } from '../protocol/wire-errors.js'
import type { Connection } from './connection.js'
import { travellingData } from './frames.js'
import type { Hub } from './hub.js'
import { refilledTokens } from './token-bucket.js'

export const CLIENT_EVENT_PREFIX = 'client-'

/**
 * Token bucket of `perSecond` tokens refilled continuously, kept as two numbers on the connection. Takes one
 * token and returns true, or returns false when the connection is over its rate. 0 means unlimited.
 */
export function takeClientEventToken (conn: Connection, perSecond: number, now: number): boolean {
  if (perSecond === 0) return true
  const tokens = refilledTokens(conn.clientEventTokens, conn.clientEventsAt, perSecond, now)
  conn.clientEventsAt = now
  if (tokens < 1) {
    conn.clientEventTokens = tokens
    return false
  }
  conn.clientEventTokens = tokens - 1
  return true
}

/** Why a client event is refused, as the error to send, or undefined when it may be forwarded. */
function refusal (conn: Connection, event: string, channel: string | undefined, text: string):
  { code: typeof WireError.ClientEventRejected | typeof WireError.Generic, message: string } | undefined {
  const { app } = conn
  const rejected = (message: string) => ({ code: WireError.ClientEventRejected, message })
  if (!app.clientEvents) return rejected('Client events are not enabled for this app')
  if (event.length > app.limits.nameLength) return rejected(`Event name is longer than ${app.limits.nameLength} characters`)
  if (channel === undefined) return { code: WireError.Generic, message: 'A client event needs a "channel"' }
  if (!conn.channels.has(channel)) {
    return { code: WireError.Generic, message: `Not subscribed to ${JSON.stringify(channel.slice(0, 200))}` }
  }
  if (!channelType(channel).clientEvents) return rejected('Client events are allowed on private and presence channels only')
  const bytes = Buffer.byteLength(text)
  if (bytes > app.limits.eventDataBytes) return rejected(`Event data is ${bytes} bytes; the limit is ${app.limits.eventDataBytes}`)
  return undefined
}

/** Handles a `client-…` event of a connection. */
export function onClientEvent (hub: Hub, conn: Connection, event: string, channel: string | undefined, data: unknown): void {
  const payload = eventData(data)
  const refused = refusal(conn, event, channel, payload.text)
  if (refused !== undefined || channel === undefined) {
    conn.error(refused?.code ?? WireError.Generic, refused?.message)
    return
  }
  const { app } = conn
  if (!takeClientEventToken(conn, app.limits.clientEventsPerSecond, hub.clock.now())) {
    if (conn.traffic !== undefined) conn.traffic.clientEventRateRefusals++
    conn.error(WireError.ClientEventRejected, `Rate limit: at most ${app.limits.clientEventsPerSecond} client events per second`)
    return
  }
  const userId = conn.presence?.get(channel)
  const message = {
    type: 'event',
    appId: app.id,
    channel,
    name: event,
    ...travellingData(payload),
    except: conn.socketId,
    ...(userId === undefined ? {} : { userId })
  } as const
  hub.background(hub.publish(message))
  hub.events.emit('client_event', {
    appId: app.id, channel, event, data: payload.text, socketId: conn.socketId, ...(userId === undefined ? {} : { userId })
  })
}
