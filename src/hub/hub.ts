/**
 * In-process state and rules: which connection is in which channel and which user, per app; subscribe,
 * unsubscribe, publish and deliver. Publishing goes through the adapter, which calls `deliver` on every node.
 * Presence, cache, client-event and user rules live beside this file and use these primitives.
 */
import type { Adapter, LocalNode } from '../adapters/adapter.js'
import type { Clock } from '../options.js'
import type { ChannelFrames } from '../protocol/codec.js'
import { WireError } from '../protocol/wire-errors.js'
import type { Connection } from './connection.js'
import { prepareFrame } from './ws-frame.js'
import { SafeEmitter } from './safe-emitter.js'
import { kindOfFrame, type Traffic } from '../metrics/traffic.js'
import { leavePresence } from './presence.js'
import { userGone, WATCHLIST_TOPIC } from './watchlist.js'

const NO_CONNECTIONS: ReadonlySet<Connection> = new Set()

/** One app's local index. */
class AppIndex {
  readonly connections = new Set<Connection>()
  readonly channels = new Map<string, Set<Connection>>()
  /** Signed-in connections by user id. */
  readonly users = new Map<string, Set<Connection>>()
  /** Connections watching a user id (watchlists). */
  readonly watchers = new Map<string, Set<Connection>>()

  get empty (): boolean {
    return this.connections.size === 0 && this.channels.size === 0 && this.users.size === 0 && this.watchers.size === 0
  }
}

export type SubscribeOutcome = 'subscribed' | 'already' | 'limit'

export interface HubOptions {
  /** Time source of rate limits; tests pass a fake clock. */
  clock: Pick<Clock, 'now'>
  /** Called with errors of background work (adapter calls nobody awaits). */
  onError?: (error: unknown) => void
  /** Counters read by the metrics; absent when metrics are off. */
  traffic?: Traffic | undefined
}

export class Hub implements LocalNode {
  /** Hub events; a listener that throws is reported through `onError`, never thrown into socket handlers. */
  readonly events = new SafeEmitter((error) => { this.reportError(error) })
  readonly clock: Pick<Clock, 'now'>
  readonly traffic: Traffic | undefined
  readonly #apps = new Map<string, AppIndex>()
  readonly #onError: (error: unknown) => void
  /** Background work not finished yet; `settle()` waits for it before the adapter is closed. */
  readonly #pending = new Set<Promise<unknown>>()
  #connectionCount = 0

  constructor (readonly adapter: Adapter, options: HubOptions) {
    this.clock = options.clock
    this.traffic = options.traffic
    this.#onError = options.onError ?? (() => {})
  }

  async start (): Promise<void> {
    await this.adapter.attach(this)
  }

  /** Runs work nobody awaits; its failure is reported, never thrown. `settle()` waits for it. */
  background (work: Promise<unknown>): void {
    const tracked: Promise<unknown> = work.catch(this.#onError).finally(() => { this.#pending.delete(tracked) })
    this.#pending.add(tracked)
  }

  /**
   * Resolves once no background work is left (work finishing may start more: presence leaves after a close),
   * so nothing started by a socket event touches the adapter after it is closed.
   */
  async settle (): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending)
  }

  /** Reports a failure of work done for a connection (the host's logger by default). */
  reportError (error: unknown): void {
    this.#onError(error)
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

  /**
   * Removes a closed connection from every channel it was in, and from its user. Idempotent. `code` is the
   * close code (the one the server sent when it closed the connection, else the client's).
   */
  removeConnection (conn: Connection, code?: number): void {
    const index = this.#apps.get(conn.app.id)
    if (index === undefined || !index.connections.delete(conn)) return
    this.#connectionCount--
    for (const channel of conn.channels) this.#leave(index, conn, channel)
    conn.channels.clear()
    if (conn.userId !== undefined) {
      this.#forgetUser(index, conn, conn.userId)
      if (conn.app.watchlist) this.background(userGone(this, conn.app.id, conn.userId, conn.socketId))
    }
    if (conn.watching !== undefined) this.#unwatch(index, conn, conn.watching)
    if (index.empty) this.#apps.delete(conn.app.id)
    this.events.emit('connection_closed', { appId: conn.app.id, socketId: conn.socketId, ...(code === undefined ? {} : { code }) })
  }

  /** Whether `subscribe` would add the connection: undefined when it would, else why not. */
  subscribeProblem (conn: Connection, channel: string): Exclude<SubscribeOutcome, 'subscribed'> | undefined {
    if (conn.channels.has(channel)) return 'already'
    if (conn.channels.size >= conn.app.limits.channelsPerConnection) return 'limit'
    return undefined
  }

  /** Adds a connection to a channel; the caller has checked the name and any authorization. */
  subscribe (conn: Connection, channel: string): SubscribeOutcome {
    const problem = this.subscribeProblem(conn, channel)
    if (problem !== undefined) return problem
    const index = this.#index(conn.app.id)
    let members = index.channels.get(channel)
    if (members === undefined) {
      members = new Set()
      index.channels.set(channel, members)
      this.events.emit('channel_occupied', { appId: conn.app.id, channel })
    }
    members.add(conn)
    conn.channels.add(channel)
    this.events.emit('subscription_count', { appId: conn.app.id, channel, localCount: members.size })
    return 'subscribed'
  }

  /** Removes a connection from a channel (and its presence); false when it was not subscribed. */
  unsubscribe (conn: Connection, channel: string): boolean {
    if (!conn.channels.delete(channel)) return false
    const index = this.#apps.get(conn.app.id)
    if (index !== undefined) this.#leave(index, conn, channel)
    return true
  }

  #leave (index: AppIndex, conn: Connection, channel: string): void {
    if (conn.presence?.delete(channel) === true) this.background(leavePresence(this, conn.app.id, channel, conn.socketId))
    const members = index.channels.get(channel)
    if (members === undefined || !members.delete(conn)) return
    this.events.emit('subscription_count', { appId: conn.app.id, channel, localCount: members.size })
    if (members.size === 0) {
      index.channels.delete(channel)
      this.events.emit('channel_vacated', { appId: conn.app.id, channel })
    }
  }

  /** Records that a connection signed in as `userId` (a connection signs in as one user only). */
  signIn (conn: Connection, userId: string): void {
    const index = this.#index(conn.app.id)
    let conns = index.users.get(userId)
    if (conns === undefined) {
      conns = new Set()
      index.users.set(userId, conns)
    }
    conns.add(conn)
  }

  #forgetUser (index: AppIndex, conn: Connection, userId: string): void {
    const conns = index.users.get(userId)
    if (conns === undefined || !conns.delete(conn)) return
    if (conns.size === 0) index.users.delete(userId)
  }

  /** Registers a connection as a watcher of the users (replacing a previous watchlist). */
  watch (conn: Connection, userIds: readonly string[]): void {
    const index = this.#index(conn.app.id)
    if (conn.watching !== undefined) this.#unwatch(index, conn, conn.watching)
    conn.watching = userIds.length === 0 ? undefined : userIds
    for (const id of userIds) {
      let conns = index.watchers.get(id)
      if (conns === undefined) {
        conns = new Set()
        index.watchers.set(id, conns)
      }
      conns.add(conn)
    }
  }

  #unwatch (index: AppIndex, conn: Connection, userIds: readonly string[]): void {
    for (const id of userIds) {
      const conns = index.watchers.get(id)
      if (conns !== undefined && conns.delete(conn) && conns.size === 0) index.watchers.delete(id)
    }
    conn.watching = undefined
  }

  /** This node's connections signed in as the user. */
  userConnections (appId: string, userId: string): ReadonlySet<Connection> {
    return this.#apps.get(appId)?.users.get(userId) ?? NO_CONNECTIONS
  }

  terminateLocalUser (appId: string, userId: string): void {
    for (const conn of [...this.userConnections(appId, userId)]) {
      conn.error(WireError.Unauthorized, 'Connections of this user were terminated by the backend')
    }
  }

  /** Publishes one serialized event to a channel on every node. */
  async publish (appId: string, channel: string, frames: ChannelFrames, exceptSocketId?: string): Promise<void> {
    try {
      await this.adapter.publish(appId, channel, frames, exceptSocketId)
    } catch (error) {
      if (this.traffic !== undefined) this.traffic.publishErrors++
      throw error
    }
  }

  deliver (appId: string, channel: string, frames: ChannelFrames, exceptSocketId?: string): void {
    const index = this.#apps.get(appId)
    const members = channel.startsWith(WATCHLIST_TOPIC)
      ? index?.watchers.get(channel.slice(WATCHLIST_TOPIC.length))
      : index?.channels.get(channel)
    if (members === undefined) return
    // Serialize and frame once per dialect variant, not once per subscriber.
    const pusher = prepareFrame(frames.pusher)
    const broadcastt = frames.broadcastt === frames.pusher ? pusher : prepareFrame(frames.broadcastt)
    let toPusher = 0
    let toBroadcastt = 0
    for (const conn of members) {
      if (conn.socketId === exceptSocketId) continue
      if (conn.dialect.name === 'pusher') {
        conn.sendPrepared(pusher)
        toPusher++
      } else {
        conn.sendPrepared(broadcastt)
        toBroadcastt++
      }
    }
    // Counted once per delivery (N connections, their bytes), never per subscriber.
    this.traffic?.of(appId).delivered(kindOfFrame(frames.pusher), toPusher + toBroadcastt,
      toPusher * pusher.payload.length + toBroadcastt * broadcastt.payload.length)
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
