/**
 * In-process state and rules: which connection is in which channel, per app; subscribe, unsubscribe,
 * publish and deliver. Publishing goes through the adapter, which calls `deliver` on every node.
 */
import { EventEmitter } from 'node:events'
import type { Adapter, LocalNode } from '../adapters/adapter.js'
import type { ChannelFrames } from '../protocol/codec.js'
import type { Connection } from './connection.js'
import type { HubEvents } from './events.js'

/** One app's local index. */
class AppIndex {
  readonly connections = new Set<Connection>()
  readonly channels = new Map<string, Set<Connection>>()
}

export type SubscribeOutcome = 'subscribed' | 'already' | 'limit'

export class Hub implements LocalNode {
  readonly events = new EventEmitter<HubEvents>()
  readonly #apps = new Map<string, AppIndex>()
  #connectionCount = 0

  constructor (readonly adapter: Adapter) {}

  async start (): Promise<void> {
    await this.adapter.attach(this)
  }

  #index (appId: string): AppIndex {
    let index = this.#apps.get(appId)
    if (index === undefined) {
      index = new AppIndex()
      this.#apps.set(appId, index)
    }
    return index
  }

  /** Every local connection, of every app. */
  * connections (): Iterable<Connection> {
    for (const index of this.#apps.values()) yield * index.connections
  }

  get connectionCount (): number { return this.#connectionCount }

  appConnectionCount (appId: string): number {
    return this.#apps.get(appId)?.connections.size ?? 0
  }

  addConnection (conn: Connection): void {
    this.#index(conn.app.id).connections.add(conn)
    this.#connectionCount++
    this.events.emit('connection_opened', { appId: conn.app.id, socketId: conn.socketId })
  }

  /** Removes a closed connection from every channel it was in. Idempotent. */
  removeConnection (conn: Connection): void {
    const index = this.#apps.get(conn.app.id)
    if (index === undefined || !index.connections.delete(conn)) return
    this.#connectionCount--
    for (const channel of conn.channels) this.#leave(index, conn, channel)
    conn.channels.clear()
    if (index.connections.size === 0 && index.channels.size === 0) this.#apps.delete(conn.app.id)
    this.events.emit('connection_closed', { appId: conn.app.id, socketId: conn.socketId })
  }

  /** Adds a connection to a channel; the caller has checked the name and any authorization. */
  subscribe (conn: Connection, channel: string): SubscribeOutcome {
    if (conn.channels.has(channel)) return 'already'
    if (conn.channels.size >= conn.app.limits.channelsPerConnection) return 'limit'
    const index = this.#index(conn.app.id)
    let members = index.channels.get(channel)
    if (members === undefined) {
      members = new Set()
      index.channels.set(channel, members)
      this.events.emit('channel_occupied', { appId: conn.app.id, channel })
    }
    members.add(conn)
    conn.channels.add(channel)
    return 'subscribed'
  }

  /** Removes a connection from a channel; false when it was not subscribed. */
  unsubscribe (conn: Connection, channel: string): boolean {
    if (!conn.channels.delete(channel)) return false
    const index = this.#apps.get(conn.app.id)
    if (index !== undefined) this.#leave(index, conn, channel)
    return true
  }

  #leave (index: AppIndex, conn: Connection, channel: string): void {
    const members = index.channels.get(channel)
    if (members === undefined || !members.delete(conn)) return
    if (members.size === 0) {
      index.channels.delete(channel)
      this.events.emit('channel_vacated', { appId: conn.app.id, channel })
    }
  }

  /** Publishes one serialized event to a channel on every node. */
  async publish (appId: string, channel: string, frames: ChannelFrames, exceptSocketId?: string): Promise<void> {
    await this.adapter.publish(appId, channel, frames, exceptSocketId)
  }

  deliver (appId: string, channel: string, frames: ChannelFrames, exceptSocketId?: string): void {
    const members = this.#apps.get(appId)?.channels.get(channel)
    if (members === undefined) return
    // Serialize to bytes once per dialect variant, not once per subscriber.
    const pusher = Buffer.from(frames.pusher)
    const broadcastt = frames.broadcastt === frames.pusher ? pusher : Buffer.from(frames.broadcastt)
    for (const conn of members) {
      if (conn.socketId === exceptSocketId) continue
      conn.send(conn.dialect.name === 'pusher' ? pusher : broadcastt)
    }
  }

  * localChannels (appId: string): Iterable<readonly [string, number]> {
    const index = this.#apps.get(appId)
    if (index === undefined) return
    for (const [name, members] of index.channels) yield [name, members.size] as const
  }

  localCount (appId: string, channel: string): number {
    return this.#apps.get(appId)?.channels.get(channel)?.size ?? 0
  }
}
