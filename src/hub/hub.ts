/**
 * In-process state and rules: which connection is in which channel and which user, per app; subscribe,
 * unsubscribe, publish and receive. Everything published goes through the adapter, which hands each message
 * to `receive` on every node that serves it (this one included). Presence, cache, client-event and user
 * rules live beside this file and use these primitives.
 */
import type {
  Adapter, ChannelCounts, ClusterMessage, Decisions, LocalNode, PresenceMember
} from '../adapters/adapter.js'
import type { App } from '../apps/app-store.js'
import type { Clock } from '../options.js'
import type { ChannelFrames } from '../protocol/codec.js'
import { WireError } from '../protocol/wire-errors.js'
import type { ChannelSync, Connection, HeldFrame } from './connection.js'
import { eventFrames, memberFrames, watchlistFrames } from './frames.js'
import { prepareFrame, type PreparedFrame } from './ws-frame.js'
import { SafeEmitter } from './safe-emitter.js'
import { SmallSet } from './small-set.js'
import { ADAPTER_TIMEOUT_MS, withTimeout } from './adapter-call.js'
import { MemoryAdapter } from '../adapters/memory.js'
import { announceDecided, leavePresence } from './presence.js'
import { userGone } from './watchlist.js'
import { kindOfFrame, type Traffic } from '../metrics/traffic.js'

const NO_CONNECTIONS: ReadonlySet<Connection> = new Set()

/** Frames held for one connection while its subscription syncs; past this the connection is too slow. */
const MAX_HELD_FRAMES = 1000

/** A channel served by this node: its local subscribers, and when the adapter subscription is in place. */
interface ChannelEntry {
  /** One subscriber inline, a Set from the second on. */
  readonly members: SmallSet<Connection>
  /** Until the adapter subscription is in place (or failed); undefined once it is, so nothing is kept per channel. */
  joined: Promise<void> | undefined
}

/** One app's local index. */
class AppIndex {
  readonly connections = new Set<Connection>()
  readonly channels = new Map<string, ChannelEntry>()
  /** Signed-in connections by user id. */
  readonly users = new Map<string, Set<Connection>>()
  /** Connections watching a user id (watchlists). */
  readonly watchers = new Map<string, Set<Connection>>()

  get empty (): boolean {
    return this.connections.size === 0 && this.channels.size === 0 && this.users.size === 0 && this.watchers.size === 0
  }
}

export type SubscribeOutcome = 'subscribed' | 'already' | 'limit'

/** The sequence numbers a syncing subscription's snapshot reflects (see `endSync`). */
export interface SyncedAt { member?: number | undefined, cache?: number | undefined }

export interface HubOptions {
  /** Time source of rate limits; tests pass a fake clock. */
  clock: Pick<Clock, 'now'>
  /** Called with errors of background work (adapter calls nobody awaits). */
  onError?: (error: unknown) => void
  /** Milliseconds an adapter call the hub waits on may take (default `ADAPTER_TIMEOUT_MS`). */
  adapterTimeoutMs?: number
  /** Counters read by the metrics; absent when metrics are off. */
  traffic?: Traffic | undefined
  /** An app changed in its store (an `app_changed` message from any node): reload it and apply it. */
  onAppChanged?: (appId: string) => Promise<void>
}

/** Whether a subscription's snapshot already reflects a message (by its per-channel sequence number). */
function reflected (sync: ChannelSync, kind: HeldFrame['kind'], seq: number | undefined): boolean {
  const floor = kind === 'member' ? sync.member : sync.cache
  return seq !== undefined && floor !== undefined && seq <= floor
}

function addTo<K, V> (map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key)
  if (set === undefined) {
    set = new Set()
    map.set(key, set)
  }
  set.add(value)
}

export class Hub implements LocalNode {
  /** Hub events; a listener that throws is reported through `onError`, never thrown into socket handlers. */
  readonly events = new SafeEmitter((error) => { this.reportError(error) })
  readonly clock: Pick<Clock, 'now'>
  readonly traffic: Traffic | undefined
  readonly #apps = new Map<string, AppIndex>()
  readonly #onError: (error: unknown) => void
  readonly #timeoutMs: number
  readonly #onAppChanged: ((appId: string) => Promise<void>) | undefined
  /** Background work not finished yet; `settle()` waits for it before the adapter is closed. */
  readonly #pending = new Set<Promise<unknown>>()
  #connectionCount = 0

  constructor (readonly adapter: Adapter, options: HubOptions) {
    this.clock = options.clock
    this.traffic = options.traffic
    this.#onError = options.onError ?? (() => {})
    this.#timeoutMs = options.adapterTimeoutMs ?? ADAPTER_TIMEOUT_MS
    this.#onAppChanged = options.onAppChanged
  }

  /**
   * An adapter call the hub waits on, bounded by the adapter timeout (`AdapterTimeoutError`). The plain
   * in-process adapter (not a subclass) answers from memory and cannot stall: no timer for its calls.
   */
  async call<T> (work: Promise<T>, operation: string): Promise<T> {
    if (this.adapter.constructor === MemoryAdapter) return await work
    return await withTimeout(work, this.#timeoutMs, operation)
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

  /** This node's connections of an app. */
  appConnections (appId: string): ReadonlySet<Connection> {
    return this.#apps.get(appId)?.connections ?? NO_CONNECTIONS
  }

  /** The ids of the apps this node holds state of (connections, channels, users). */
  appIds (): Iterable<string> {
    return this.#apps.keys()
  }

  /**
   * Reserves a place for a new connection of the app under its cluster-wide quota (`limits.maxConnections`);
   * false when the app is full. A reserved connection gives its place back when it is removed.
   */
  async reserveConnection (app: App): Promise<boolean> {
    const max = app.limits.maxConnections
    if (max === 0) return true
    return await this.adapter.addConnection(app.id, max)
  }

  /** Gives back a place reserved by `reserveConnection` for a connection that never got added. */
  releaseConnection (app: App): void {
    if (app.limits.maxConnections > 0) this.background(this.adapter.removeConnection(app.id))
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
    this.releaseConnection(conn.app)
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

  /**
   * Adds a connection to a channel; the caller has checked the name and any authorization. Resolves once
   * this node receives the channel's messages. With `sync`, the channel's messages to this connection are
   * held until `endSync` (the caller first sends it a snapshot: presence members, the cached event).
   */
  async subscribe (conn: Connection, channel: string, sync = false): Promise<SubscribeOutcome> {
    const problem = this.subscribeProblem(conn, channel)
    if (problem !== undefined) return problem
    const appId = conn.app.id
    const index = this.#index(appId)
    let entry = index.channels.get(channel)
    conn.channels.add(channel)
    if (sync) (conn.sync ??= new Map()).set(channel, { held: [], member: undefined, cache: undefined })
    if (entry === undefined) {
      const created: ChannelEntry = { members: new SmallSet(conn), joined: undefined }
      index.channels.set(channel, created) // before the adapter call, which reads this node's count
      const joining = this.#join(appId, channel)
      created.joined = joining
      // Every subscriber awaits it below; a failure is each one's to handle (and the entry keeps it).
      joining.then(() => { if (created.joined === joining) created.joined = undefined }, () => {})
      entry = created
    } else {
      entry.members.add(conn)
      this.adapter.countChanged(appId, channel)
    }
    if (entry.joined !== undefined) await entry.joined // channel_occupied (when this decided it) comes before the count
    if (conn.channels.has(channel)) {
      this.events.emit('subscription_count', { appId, channel, localCount: entry.members.size })
      if (this.events.has('subscribed')) this.events.emit('subscribed', { appId, channel, socketId: conn.socketId })
    }
    return 'subscribed'
  }

  /**
   * The adapter subscription of a channel's first local subscriber; decides `channel_occupied`. When it
   * fails or times out, every subscriber waiting on it fails (and is undone by its caller), so the channel
   * is left and the next subscriber tries again.
   */
  async #join (appId: string, channel: string): Promise<void> {
    if (await this.call(this.adapter.subscribe(appId, channel), 'subscribe')) this.events.emit('channel_occupied', { appId, channel })
  }

  /**
   * Sends the messages held for a syncing subscription, except those its snapshot already reflects (and
   * from now on drops those arriving late).
   */
  endSync (conn: Connection, channel: string, at: SyncedAt): void {
    const sync = conn.sync?.get(channel)
    if (sync?.held === undefined) return
    const { held } = sync
    sync.held = undefined
    sync.member = at.member
    sync.cache = at.cache
    for (const frame of held) {
      if (!reflected(sync, frame.kind, frame.seq)) conn.sendPrepared(frame.frame)
    }
  }

  /** Removes a connection from a channel (and its presence); false when it was not subscribed. */
  unsubscribe (conn: Connection, channel: string): boolean {
    if (!conn.channels.delete(channel)) return false
    const index = this.#apps.get(conn.app.id)
    if (index !== undefined) this.#leave(index, conn, channel)
    return true
  }

  #leave (index: AppIndex, conn: Connection, channel: string): void {
    const appId = conn.app.id
    if (conn.sync?.delete(channel) === true && conn.sync.size === 0) conn.sync = undefined
    if (conn.presence?.delete(channel) === true) this.background(leavePresence(this, appId, channel, conn.socketId))
    const entry = index.channels.get(channel)
    if (entry === undefined || !entry.members.delete(conn)) return
    this.events.emit('subscription_count', { appId, channel, localCount: entry.members.size })
    if (this.events.has('unsubscribed')) this.events.emit('unsubscribed', { appId, channel, socketId: conn.socketId })
    if (entry.members.size > 0) {
      this.adapter.countChanged(appId, channel)
      return
    }
    index.channels.delete(channel)
    this.background(this.adapter.unsubscribe(appId, channel).then((vacated) => {
      if (vacated) this.events.emit('channel_vacated', { appId, channel })
    }))
  }

  /** Records that a connection signed in as `userId` (a connection signs in as one user only). */
  signIn (conn: Connection, userId: string): void {
    addTo(this.#index(conn.app.id).users, userId, conn)
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
    for (const id of userIds) addTo(index.watchers, id, conn)
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

  /** Publishes a message to every node that serves it (this one included). */
  async publish (message: ClusterMessage, cacheSeconds?: number): Promise<void> {
    try {
      await this.adapter.publish(message, cacheSeconds)
    } catch (error) {
      if (this.traffic !== undefined) this.traffic.publishErrors++
      throw error
    }
  }

  // Cluster-wide queries for the REST and programmatic APIs.

  async channels (appId: string, prefix?: string): Promise<Map<string, ChannelCounts>> {
    return await this.call(this.adapter.channels(appId, prefix), 'channels')
  }

  async channel (appId: string, channel: string): Promise<ChannelCounts> {
    return await this.call(this.adapter.channel(appId, channel), 'channel')
  }

  async members (appId: string, channel: string): Promise<PresenceMember[]> {
    return await this.call(this.adapter.members(appId, channel), 'members')
  }

  /** Closes every connection signed in as the user, on every node, with 4009. */
  async terminateUser (appId: string, userId: string): Promise<void> {
    await this.publish({ type: 'terminate', appId, userId })
  }

  // LocalNode: what the adapter calls.

  receive (message: ClusterMessage): void {
    switch (message.type) {
      case 'event':
        this.#deliver(message.appId, message.channel, eventFrames(message), message.except, 'event', message.seq)
        return
      case 'member':
        this.#deliver(message.appId, message.channel, memberFrames(message), message.except, 'member', message.seq)
        return
      case 'terminate':
        for (const conn of [...this.userConnections(message.appId, message.userId)]) {
          conn.error(WireError.Unauthorized, 'Connections of this user were terminated by the backend')
        }
        return
      case 'watchlist': {
        const watchers = this.#apps.get(message.appId)?.watchers.get(message.userId)
        if (watchers === undefined) return
        const frames = watchlistFrames(message.online ? 'online' : 'offline', [message.userId])
        for (const conn of watchers) conn.send(conn.dialect.name === 'pusher' ? frames.pusher : frames.broadcastt)
        return
      }
      case 'app_changed':
        if (this.#onAppChanged !== undefined) this.background(this.#onAppChanged(message.appId))
    }
  }

  #deliver (appId: string, channel: string, frames: ChannelFrames, except: string | undefined,
    kind: HeldFrame['kind'], seq: number | undefined): void {
    const members = this.#apps.get(appId)?.channels.get(channel)?.members
    if (members === undefined) return
    // Serialize and frame once per dialect variant, not once per subscriber.
    const pusher = prepareFrame(frames.pusher)
    const broadcastt = frames.broadcastt === frames.pusher ? pusher : prepareFrame(frames.broadcastt)
    let toPusher = 0
    let toBroadcastt = 0
    for (const conn of members) {
      if (conn.socketId === except) continue
      let frame: PreparedFrame = broadcastt
      if (conn.dialect.name === 'pusher') {
        frame = pusher
        toPusher++
      } else {
        toBroadcastt++
      }
      const sync = conn.sync?.get(channel)
      if (sync === undefined) conn.sendPrepared(frame)
      else if (sync.held === undefined) {
        if (!reflected(sync, kind, seq)) conn.sendPrepared(frame)
      } else if (sync.held.length < MAX_HELD_FRAMES) sync.held.push({ kind, seq, frame })
      else conn.close(WireError.OverCapacity, 'Slow consumer: too many events while subscribing')
    }
    // Counted once per delivery (N connections, their bytes), never per subscriber.
    this.traffic?.of(appId).delivered(kindOfFrame(frames.pusher), toPusher + toBroadcastt,
      toPusher * pusher.payload.length + toBroadcastt * broadcastt.payload.length)
  }

  /** This node's occupied channels and subscriptions of an app (read by the metrics at scrape time). */
  localStats (appId: string): { channels: number, subscriptions: number } {
    const index = this.#apps.get(appId)
    let subscriptions = 0
    if (index !== undefined) for (const entry of index.channels.values()) subscriptions += entry.members.size
    return { channels: index?.channels.size ?? 0, subscriptions }
  }

  localCount (appId: string, channel: string): number {
    return this.#apps.get(appId)?.channels.get(channel)?.members.size ?? 0
  }

  decided (decisions: Decisions): void {
    announceDecided(this, decisions)
  }
}
