/**
 * The in-process adapter. A `MemoryBroker` holds the shared state (channel subscribers per node, presence,
 * cache, online users, connection counts) and calls each attached node directly; a `MemoryAdapter` is one
 * node of it. One node (the default) is the single-process server; several nodes on one broker behave like a
 * cluster in one process, which the adapter conformance suite uses for its two-node cases.
 */
import { randomUUID } from 'node:crypto'
import { TokenBuckets } from '../hub/token-bucket.js'
import { channelType } from '../protocol/channel-name.js'
import {
  channelOf, type AddMemberResult, type Adapter, type CacheEntry, type ChannelCounts, type ClusterMessage,
  type LocalNode, type PresenceMember, type RemovedMember
} from './adapter.js'

/** One presence channel: which socket is which user, and each user's info and connection count. */
class PresenceChannel {
  readonly userOf = new Map<string, string>()
  readonly users = new Map<string, { info: unknown, sockets: number }>()

  list (): PresenceMember[] {
    const out: PresenceMember[] = []
    for (const [id, user] of this.users) out.push({ id, info: user.info })
    return out
  }
}

/** Expired cache entries are dropped when read, and by a full scan at most this often. */
const CACHE_PURGE_EVERY_MS = 60_000

/** `appId` and a name as one map key (ids cannot contain a newline). */
const keyOf = (appId: string, name: string): string => `${appId}\n${name}`

function getOrAdd<K, V> (map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key)
  if (value === undefined) {
    value = create()
    map.set(key, value)
  }
  return value
}

/** The state shared by the nodes of one in-process cluster. */
export class MemoryBroker {
  readonly nodes = new Map<string, LocalNode>()
  /**
   * Nodes subscribed to each channel: the one node's id, or a Set once several nodes serve it (most channels
   * are one node's: no Set per channel for them).
   */
  readonly subscribers = new Map<string, string | Set<string>>()
  /** Occupied channel names per app. */
  readonly occupied = new Map<string, Set<string>>()
  readonly presence = new Map<string, PresenceChannel>()
  readonly cache = new Map<string, { event: CacheEntry['event'], expiresAt: number }>()
  /**
   * The last sequence number given to a cached event or presence decision. One counter for the broker:
   * each channel's numbers only grow, and nothing per channel outlives the channel.
   */
  seq = 0
  /** Signed-in connections per user (watchlist online state). */
  readonly userSockets = new Map<string, Set<string>>()
  readonly connections = new Map<string, number>()
  /** Per-app rate buckets (`takeTokens`). */
  readonly rates = new TokenBuckets()
  purgedAt: number

  constructor (readonly now: () => number = Date.now) {
    this.purgedAt = now()
  }

  nextSeq (): number {
    return ++this.seq
  }

  send (message: ClusterMessage): void {
    const channel = channelOf(message)
    if (channel === undefined) {
      for (const node of [...this.nodes.values()]) node.receive(message)
      return
    }
    const ids = this.subscribers.get(keyOf(message.appId, channel))
    if (typeof ids === 'string') this.nodes.get(ids)?.receive(message)
    else if (ids !== undefined) for (const id of [...ids]) this.nodes.get(id)?.receive(message)
  }

  /** The nodes subscribed to a channel (by its key). */
  subscriberIds (key: string): Iterable<string> {
    const ids = this.subscribers.get(key)
    return ids === undefined ? [] : typeof ids === 'string' ? [ids] : ids
  }

  counts (appId: string, channel: string): ChannelCounts {
    let subscriptionCount = 0
    for (const id of this.subscriberIds(keyOf(appId, channel))) {
      subscriptionCount += this.nodes.get(id)?.localCount(appId, channel) ?? 0
    }
    const presence = this.presence.get(keyOf(appId, channel))
    return presence === undefined && channelType(channel).kind !== 'presence'
      ? { subscriptionCount }
      : { subscriptionCount, userCount: presence?.users.size ?? 0 }
  }

  purgeCache (now: number): void {
    this.purgedAt = now
    for (const [key, entry] of this.cache) if (entry.expiresAt <= now) this.cache.delete(key)
  }
}

export interface MemoryAdapterOptions {
  /** Time source of cache expiry and rate buckets; defaults to `Date.now`. Ignored when `broker` is given. */
  now?: () => number
  /** The broker this node joins; defaults to a broker of its own (a single node). */
  broker?: MemoryBroker
}

export class MemoryAdapter implements Adapter {
  readonly nodeId = randomUUID()
  readonly #broker: MemoryBroker
  /** Connections this node counted per app (so close() can give them back). */
  readonly #connections = new Map<string, number>()

  constructor (options: MemoryAdapterOptions = {}) {
    this.#broker = options.broker ?? new MemoryBroker(options.now)
  }

  ready (): boolean {
    return true
  }

  async attach (node: LocalNode): Promise<void> {
    this.#broker.nodes.set(this.nodeId, node)
  }

  async subscribe (appId: string, channel: string): Promise<boolean> {
    const key = keyOf(appId, channel)
    const { subscribers } = this.#broker
    const ids = subscribers.get(key)
    if (ids === undefined || ids === this.nodeId) subscribers.set(key, this.nodeId)
    else if (typeof ids === 'string') {
      subscribers.set(key, new Set([ids, this.nodeId]))
      return false
    } else {
      ids.add(this.nodeId)
      if (ids.size > 1) return false
    }
    getOrAdd(this.#broker.occupied, appId, () => new Set()).add(channel)
    return true
  }

  async unsubscribe (appId: string, channel: string): Promise<boolean> {
    const key = keyOf(appId, channel)
    const { subscribers } = this.#broker
    const ids = subscribers.get(key)
    if (ids === undefined || ids === this.nodeId) {
      if (ids === undefined) return false
    } else if (typeof ids === 'string' || !ids.delete(this.nodeId)) return false
    else if (ids.size > 0) {
      if (ids.size === 1) for (const only of ids) subscribers.set(key, only)
      return false
    }
    subscribers.delete(key)
    const occupied = this.#broker.occupied.get(appId)
    occupied?.delete(channel)
    if (occupied?.size === 0) this.#broker.occupied.delete(appId)
    return true
  }

  countChanged (): void {
    // Counts are read from every node's LocalNode when asked.
  }

  async publish (message: ClusterMessage, cacheSeconds?: number): Promise<void> {
    if (cacheSeconds !== undefined && message.type === 'event') {
      const broker = this.#broker
      const key = keyOf(message.appId, message.channel)
      const event = { ...message, seq: broker.nextSeq() }
      const now = broker.now()
      if (now - broker.purgedAt >= CACHE_PURGE_EVERY_MS) broker.purgeCache(now)
      broker.cache.delete(key)
      if (cacheSeconds > 0) broker.cache.set(key, { event, expiresAt: now + cacheSeconds * 1000 })
      broker.send(event)
      return
    }
    this.#broker.send(message)
  }

  async channels (appId: string, prefix = ''): Promise<Map<string, ChannelCounts>> {
    const out = new Map<string, ChannelCounts>()
    for (const name of this.#broker.occupied.get(appId) ?? []) {
      if (name.startsWith(prefix)) out.set(name, this.#broker.counts(appId, name))
    }
    return out
  }

  async channel (appId: string, channel: string): Promise<ChannelCounts> {
    return this.#broker.counts(appId, channel)
  }

  async addMember (appId: string, channel: string, socketId: string, member: PresenceMember, maxMembers: number):
  Promise<AddMemberResult> {
    const key = keyOf(appId, channel)
    const broker = this.#broker
    const current = broker.presence.get(key)
    // Every decision of this channel so far has a number up to the broker's last one.
    const seq = (): number => broker.seq
    if (current?.userOf.has(socketId) === true) return { ok: true, first: false, members: current.list(), seq: seq() }
    const user = current?.users.get(member.id)
    if (user === undefined && (current?.users.size ?? 0) >= maxMembers) return { ok: false }
    const presence = getOrAdd(broker.presence, key, () => new PresenceChannel())
    presence.userOf.set(socketId, member.id)
    if (user !== undefined) {
      user.sockets++
      return { ok: true, first: false, members: presence.list(), seq: seq() }
    }
    presence.users.set(member.id, { info: member.info, sockets: 1 })
    return { ok: true, first: true, members: presence.list(), seq: broker.nextSeq() }
  }

  async removeMember (appId: string, channel: string, socketId: string): Promise<RemovedMember | undefined> {
    const key = keyOf(appId, channel)
    const presence = this.#broker.presence.get(key)
    const userId = presence?.userOf.get(socketId)
    if (presence === undefined || userId === undefined) return undefined
    presence.userOf.delete(socketId)
    const user = presence.users.get(userId)
    if (user !== undefined && --user.sockets > 0) return undefined
    presence.users.delete(userId)
    if (presence.users.size === 0) this.#broker.presence.delete(key)
    return { userId, seq: this.#broker.nextSeq() }
  }

  async members (appId: string, channel: string): Promise<PresenceMember[]> {
    return this.#broker.presence.get(keyOf(appId, channel))?.list() ?? []
  }

  async getCache (appId: string, channel: string): Promise<CacheEntry | undefined> {
    const key = keyOf(appId, channel)
    const entry = this.#broker.cache.get(key)
    if (entry === undefined) return undefined
    const left = entry.expiresAt - this.#broker.now()
    if (left <= 0) {
      this.#broker.cache.delete(key)
      return undefined
    }
    return { event: entry.event, ttlSeconds: Math.ceil(left / 1000) }
  }

  async addUserConnection (appId: string, userId: string, socketId: string): Promise<boolean> {
    const sockets = getOrAdd(this.#broker.userSockets, keyOf(appId, userId), () => new Set())
    if (sockets.has(socketId)) return false
    sockets.add(socketId)
    return sockets.size === 1
  }

  async removeUserConnection (appId: string, userId: string, socketId: string): Promise<boolean> {
    const key = keyOf(appId, userId)
    const sockets = this.#broker.userSockets.get(key)
    if (sockets === undefined || !sockets.delete(socketId)) return false
    if (sockets.size > 0) return false
    this.#broker.userSockets.delete(key)
    return true
  }

  async onlineUsers (appId: string, userIds: readonly string[]): Promise<string[]> {
    return userIds.filter((id) => this.#broker.userSockets.has(keyOf(appId, id)))
  }

  async addConnection (appId: string, max: number): Promise<boolean> {
    const total = this.#broker.connections.get(appId) ?? 0
    if (max > 0 && total >= max) return false
    this.#broker.connections.set(appId, total + 1)
    this.#connections.set(appId, (this.#connections.get(appId) ?? 0) + 1)
    return true
  }

  async removeConnection (appId: string): Promise<void> {
    const mine = this.#connections.get(appId) ?? 0
    if (mine === 0) return
    if (mine === 1) this.#connections.delete(appId)
    else this.#connections.set(appId, mine - 1)
    const total = (this.#broker.connections.get(appId) ?? 1) - 1
    if (total <= 0) this.#broker.connections.delete(appId)
    else this.#broker.connections.set(appId, total)
  }

  async takeTokens (appId: string, bucket: string, perSecond: number, count: number): Promise<boolean> {
    return this.#broker.rates.take(keyOf(appId, bucket), perSecond, count, this.#broker.now())
  }

  /** Nothing to wait for: `publish` hands the message to every node's `receive` before it resolves. */
  async barrier (): Promise<void> {}

  async close (): Promise<void> {
    // The channels this node subscribed to, read from the broker (no per-channel record of its own).
    const mine: string[] = []
    for (const [key, ids] of this.#broker.subscribers) {
      if (ids === this.nodeId || (typeof ids !== 'string' && ids.has(this.nodeId))) mine.push(key)
    }
    for (const key of mine) {
      const [appId = '', channel = ''] = key.split('\n')
      await this.unsubscribe(appId, channel)
    }
    for (const [appId, count] of this.#connections) {
      for (let i = 0; i < count; i++) await this.removeConnection(appId)
    }
    this.#broker.nodes.delete(this.nodeId)
  }
}
