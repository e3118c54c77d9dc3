/**
 * One client connection. Small by design: a few fields and a Set of channel names; no closures, no timers
 * of its own (liveness and the authorization deadline are swept by `Heartbeat`), and a bounded send buffer.
 */
import type { Writable } from 'node:stream'
import type { WebSocket } from 'ws'
import type { App } from '../apps/app-store.js'
import type { Dialect } from '../protocol/dialect.js'
import { encodeFrame } from '../protocol/codec.js'
import { closeReason, WireError, type WireErrorSpec } from '../protocol/wire-errors.js'
import { corkForTurn } from './coalesce.js'
import { SmallSet } from './small-set.js'
import type { PreparedFrame } from './ws-frame.js'
import type { AppTraffic } from '../metrics/traffic.js'

/** A frame held for a connection while its subscription to the frame's channel syncs (see `Hub.endSync`). */
export interface HeldFrame {
  readonly kind: 'event' | 'member'
  /** The message's per-channel sequence number, when it has one. */
  readonly seq: number | undefined
  readonly frame: PreparedFrame
}

/**
 * A presence or cache subscription's sync state: frames held until its snapshot (member list, cached event)
 * is sent, then the sequence numbers the snapshot reflects, so a message it already reflects that arrives
 * late is not sent again.
 */
export interface ChannelSync {
  held: HeldFrame[] | undefined
  member: number | undefined
  cache: number | undefined
}

/** ws send options shared by every send: text frames, never compressed. */
const TEXT = Object.freeze({ binary: false, compress: false, fin: true })
/** WebSocket.OPEN */
const OPEN = 1

export class Connection {
  /** Channels this connection is subscribed to (one inline, a Set from the second on). */
  readonly channels = new SmallSet<string>()
  /** Presence channels this connection is a member of, with the user id it joined as; created on first use. */
  presence: Map<string, string> | undefined
  /** Sync state of presence and cache subscriptions, per channel; created on first use. */
  sync: Map<string, ChannelSync> | undefined
  /** The user this connection signed in as (PROTOCOL.md §8), and that user's `user_info`. */
  userId: string | undefined
  userInfo: unknown
  /** The user ids this connection watches (its sign-in's watchlist, when the app enables watchlists). */
  watching: readonly string[] | undefined
  /** Time (heartbeat clock) of the last inbound frame, ping or pong. */
  lastSeen = 0
  /** Time a ping was sent that no frame answered yet; -1 when none is pending. */
  pingedAt = -1
  /** Time by which the connection must sign in or join a private/presence channel; -1 when not required. */
  authDeadline = -1
  /** Time (heartbeat clock) the heartbeat first saw this connection closed by the server; -1 until then. */
  closingSince = -1
  /** Client-event token bucket: tokens left, and the time they were counted (two numbers, no map). */
  clientEventTokens = 0
  clientEventsAt = Number.NEGATIVE_INFINITY
  /** Frame budget (hub/frame-budget.ts): tokens left, and the time they were counted; full at first use. */
  frameTokens = 0
  framesAt = Number.NEGATIVE_INFINITY
  /** The inbound frame being handled asynchronously; later frames wait for it, so frames act in order. */
  inbound: Promise<void> | undefined
  /** Frames queued behind `inbound` (bounded; see hub/inbound.ts). */
  waiting = 0
  waitingBytes = 0
  open = true
  /** The close code the server sent, once it closed the connection. */
  closeCode: number | undefined
  /** The TCP socket under the WebSocket, for prepared frames; set only when no extension was negotiated. */
  raw: Writable | undefined = undefined
  /** The app's traffic counters, when metrics are on. */
  traffic: AppTraffic | undefined = undefined

  constructor (
    readonly socket: WebSocket,
    /** The app; replaced by its new version when it changes in its store (apps/changes.ts). */
    public app: App,
    readonly dialect: Dialect,
    readonly socketId: string,
    /** Unsent bytes allowed before the connection is closed as a slow consumer. */
    readonly maxBufferedBytes: number
  ) {}

  /** Sends one serialized frame; closes the connection with 4100 when its send buffer overflows. */
  send (frame: string | Buffer): void {
    if (!this.#writable()) return
    if (this.raw !== undefined) corkForTurn(this.raw)
    this.socket.send(frame, TEXT)
    this.traffic?.sent(typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length)
  }

  /**
   * Sends a frame prepared once for many connections: its ready-made bytes straight to the TCP socket when
   * the connection negotiated no extension (nothing then sits in ws's sender, so order is kept), else the
   * payload through ws.
   */
  sendPrepared (frame: PreparedFrame): void {
    if (!this.#writable()) return
    if (this.raw !== undefined && this.socket.readyState === OPEN) {
      corkForTurn(this.raw)
      this.raw.write(frame.framed)
    } else this.socket.send(frame.payload, TEXT)
  }

  /** Open, and not a slow consumer: one whose unsent output passed the bound is closed with 4100. */
  #writable (): boolean {
    if (!this.open) return false
    if (this.socket.bufferedAmount <= this.maxBufferedBytes) return true
    // Bytes corked for this turn's coalesced write (hub/coalesce.ts) are not a slow consumer's backlog: hand
    // them to the kernel, and judge only what it could not take.
    if (this.raw !== undefined && this.raw.writableCorked !== 0) {
      this.raw.uncork()
      if (this.socket.bufferedAmount <= this.maxBufferedBytes) return true
    }
    this.close(WireError.OverCapacity, 'Slow consumer: send buffer overflowed')
    return false
  }

  /** Sends a protocol event of this connection's dialect. */
  sendEvent (event: string, data: unknown, channel?: string): void {
    this.send(encodeFrame(event, data, channel))
  }

  /** Sends an `error` event; closes the connection too when the error is a closing one. */
  error (spec: WireErrorSpec, message: string = spec.reason): void {
    if (!this.open) return
    this.sendEvent(this.dialect.error, { code: spec.code, message })
    if (spec.closes) this.close(spec, message)
  }

  /** Closes with the error's code and a short reason; the hub cleans up on the socket's `close` event. */
  close (spec: WireErrorSpec, message: string = spec.reason): void {
    if (!this.open) return
    this.open = false
    this.closeCode = spec.code ?? undefined
    this.socket.close(spec.code ?? undefined, closeReason(message))
  }
}

/** Refuses a socket that never became a connection: an `error` event in its dialect, then the close frame. */
export function refuseSocket (socket: WebSocket, dialect: Dialect, spec: WireErrorSpec, message: string): void {
  socket.send(encodeFrame(dialect.error, { code: spec.code, message }), TEXT)
  socket.close(spec.code ?? undefined, closeReason(message))
}
