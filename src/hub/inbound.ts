/**
 * What the server does with each client → server frame: decode, then dispatch on the event name of the
 * connection's dialect. Unknown events and malformed frames get an `error` event with code null.
 */
import { channelNameProblem, channelType } from '../protocol/channel-name.js'
import { dataObject, decodeFrame } from '../protocol/codec.js'
import { checkSubscribeData, checkUnsubscribeData } from '../protocol/messages.js'
import { WireError } from '../protocol/wire-errors.js'
import type { Connection } from './connection.js'
import type { Hub } from './hub.js'

/** A subscription refusal: the `subscription_error` payload. */
export interface SubscriptionError {
  type: 'AuthError' | 'LimitReached' | 'InvalidChannel'
  error: string
  status: 401 | 4100 | 400
}

export function subscriptionError (conn: Connection, channel: string, problem: SubscriptionError): void {
  conn.sendEvent(conn.dialect.subscriptionError, problem, channel)
}

function onSubscribe (hub: Hub, conn: Connection, data: unknown): void {
  const body = dataObject(data)
  if (body === undefined || !checkSubscribeData.Check(body)) {
    conn.error(WireError.Generic, 'subscribe needs data {"channel": string, "auth"?: string, "channel_data"?: string}')
    return
  }
  const { channel } = body
  const invalid = channelNameProblem(channel, conn.app.limits.nameLength)
  if (invalid !== undefined) {
    subscriptionError(conn, channel, { type: 'InvalidChannel', error: invalid, status: 400 })
    return
  }
  if (channelType(channel).kind !== 'public') {
    subscriptionError(conn, channel, {
      type: 'AuthError', error: 'This server does not serve authenticated channels yet', status: 401
    })
    return
  }
  const outcome = hub.subscribe(conn, channel)
  if (outcome === 'limit') {
    subscriptionError(conn, channel, {
      type: 'LimitReached',
      error: `A connection may subscribe to at most ${conn.app.limits.channelsPerConnection} channels`,
      status: 4100
    })
    return
  }
  conn.sendEvent(conn.dialect.subscriptionSucceeded, {}, channel)
}

function onUnsubscribe (hub: Hub, conn: Connection, data: unknown): void {
  const body = dataObject(data)
  if (body === undefined || !checkUnsubscribeData.Check(body)) {
    conn.error(WireError.Generic, 'unsubscribe needs data {"channel": string}')
    return
  }
  hub.unsubscribe(conn, body.channel)
}

/** Handles one inbound text frame of a connection. */
export function handleFrame (hub: Hub, conn: Connection, raw: string): void {
  const decoded = decodeFrame(raw)
  if (!decoded.ok) {
    conn.error(WireError.Generic, decoded.message)
    return
  }
  const { event, data } = decoded.frame
  const d = conn.dialect
  switch (event) {
    case d.ping: conn.sendEvent(d.pong, {}); return
    case d.subscribe: onSubscribe(hub, conn, data); return
    case d.unsubscribe: onUnsubscribe(hub, conn, data); return
    default: conn.error(WireError.Generic, `Unknown event ${JSON.stringify(event.slice(0, 100))}`)
  }
}
