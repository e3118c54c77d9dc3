/**
 * What the server does with each client → server frame: decode, then dispatch on the event name of the
 * connection's dialect. Unknown events and malformed frames get an `error` event with code null.
 *
 * Frames of one connection act in the order they arrived: while a frame waits for the adapter (a presence
 * join, a cache read), later frames of that connection queue behind it. The queue is bounded: past
 * `INBOUND_PAUSE_AT` frames the socket is no longer read (TCP pushes back on the client), past
 * `INBOUND_MAX_BYTES` of waiting frames the connection is closed with 4100.
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

/**
 * Frames of a connection that may wait behind an adapter call before the server stops reading its socket
 * (`pause`); reading resumes when the queue is empty. A well-behaved client is only slowed down.
 */
export const INBOUND_PAUSE_AT = 16
/**
 * Bytes the waiting frames of one connection may hold, counting each frame's text plus
 * `INBOUND_FRAME_OVERHEAD` for the string, promise and closure that keep it. Only frames ws had already read
 * when the socket was paused can get there (one TCP read holds up to 64 KiB: a burst of a thousand pings
 * fits, thousands of empty frames do not); past it the connection is closed with 4100.
 */
export const INBOUND_MAX_BYTES = 1024 * 1024
export const INBOUND_FRAME_OVERHEAD = 256

const cost = (raw: string): number => raw.length + INBOUND_FRAME_OVERHEAD

/** Queues a frame behind the pending ones; false when the queue is full and the connection was closed. */
function enqueue (conn: Connection, raw: string): boolean {
  if (conn.waitingBytes + cost(raw) > INBOUND_MAX_BYTES) {
    conn.close(WireError.OverCapacity, 'Too many frames waiting; slow down')
    return false
  }
  conn.waiting++
  conn.waitingBytes += cost(raw)
  if (conn.waiting >= INBOUND_PAUSE_AT && !conn.socket.isPaused) conn.socket.pause()
  return true
}

/** Handles a frame in arrival order: at once when nothing is pending, else after the pending frames. */
export function receiveFrame (hub: Hub, conn: Connection, raw: string): void {
  const pending = conn.inbound
  if (pending !== undefined && !enqueue(conn, raw)) return
  const work = pending === undefined
    ? handleSafely(hub, conn, raw)
    : pending.then(() => {
      conn.waiting--
      conn.waitingBytes -= cost(raw)
      return conn.open ? handleSafely(hub, conn, raw) : undefined
    })
  if (work === undefined) return
  const tracked: Promise<void> = work.catch((error: unknown) => {
    internalError(hub, conn, error)
  }).finally(() => {
    if (conn.inbound !== tracked) return
    conn.inbound = undefined
    if (conn.socket.isPaused) conn.socket.resume()
  })
  conn.inbound = tracked
  hub.background(tracked)
}
