/**
 * What the server does with each client → server frame: decode, then dispatch on the event name of the
 * connection's dialect. Unknown events and malformed frames get an `error` event with code null.
 *
 * Frames of one connection act in the order they arrived: while a frame waits for the adapter (a presence
 * join, a cache read), later frames of that connection queue behind it.
 */
import { decodeFrame } from '../protocol/codec.js'
import { WireError } from '../protocol/wire-errors.js'
import { CLIENT_EVENT_PREFIX, onClientEvent } from './client-events.js'
import type { Connection } from './connection.js'
import type { Hub } from './hub.js'
import { onSubscribe, onUnsubscribe } from './subscribe.js'
import { onSignin } from './users.js'

/** Handles one inbound text frame of a connection; returns a promise when it waits for the adapter. */
export function handleFrame (hub: Hub, conn: Connection, raw: string): Promise<void> | undefined {
  const decoded = decodeFrame(raw)
  if (!decoded.ok) {
    conn.error(WireError.Generic, decoded.message)
    return undefined
  }
  const { event, data, channel } = decoded.frame
  const d = conn.dialect
  switch (event) {
    case d.ping: conn.sendEvent(d.pong, {}); return undefined
    case d.subscribe: return onSubscribe(hub, conn, data)
    case d.unsubscribe: onUnsubscribe(hub, conn, data); return undefined
    case d.signin: return onSignin(hub, conn, data)
  }
  if (event.startsWith(CLIENT_EVENT_PREFIX)) {
    onClientEvent(hub, conn, event, channel, data)
    return undefined
  }
  conn.error(WireError.Generic, `Unknown event ${JSON.stringify(event.slice(0, 100))}`)
  return undefined
}

/** A failure of the server's own code while handling a frame: reported, and the client gets a generic error. */
function internalError (hub: Hub, conn: Connection, error: unknown): void {
  hub.reportError(error)
  conn.error(WireError.Generic, 'Internal error')
}

/** `handleFrame`, with a synchronous failure reported instead of thrown into the socket's event handler. */
function handleSafely (hub: Hub, conn: Connection, raw: string): Promise<void> | undefined {
  try {
    return handleFrame(hub, conn, raw)
  } catch (error) {
    internalError(hub, conn, error)
    return undefined
  }
}

/** Handles a frame in arrival order: at once when nothing is pending, else after the pending frames. */
export function receiveFrame (hub: Hub, conn: Connection, raw: string): void {
  const pending = conn.inbound
  const work = pending === undefined
    ? handleSafely(hub, conn, raw)
    : pending.then(() => conn.open ? handleSafely(hub, conn, raw) : undefined)
  if (work === undefined) return
  const tracked: Promise<void> = work.catch((error: unknown) => {
    internalError(hub, conn, error)
  }).finally(() => {
    if (conn.inbound === tracked) conn.inbound = undefined
  })
  conn.inbound = tracked
  hub.background(tracked)
}
