/**
 * The single-node adapter: publishing is a direct call into the local hub, and this process holds the whole
 * truth (channel counts from the local index, presence members and cached events here).
 */
import { randomUUID } from 'node:crypto'
import { channelType } from '../protocol/channel-name.js'
import type { ChannelFrames } from '../protocol/codec.js'
import type {
  AddMemberResult, Adapter, CachedEvent, CacheEntry, ChannelCounts, LocalNode, PresenceMember
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

/** `appId` and channel as one map key (ids cannot contain a newline). */
const keyOf = (appId: string, channel: string): string => `${appId}\n${channel}`

export interface MemoryAdapterOptions {
  /** Time source of cache expiry; defaults to `Date.now`. */
  now?: () => number
}

export class MemoryAdapter implements Adapter {
  readonly nodeId = randomUUID()
  #node: LocalNode | undefined
  readonly #now: () => number
  readonly #presence = new Map<string, PresenceChannel>()
  readonly #cache = new Map<string, { event: CachedEvent, expiresAt: number }>()
  /** Signed-in connections per user (watchlist online state). */
  readonly #userSockets = new Map<string, Set<string>>()
  #purgedAt: number

  constructor (options: MemoryAdapterOptions = {}) {
    this.#now = options.now ?? Date.now
    this.#purgedAt = this.#now()
  }

  ready (): boolean {
    return true
  }

  async attach (node: LocalNode): Promise<void> {
    this.#node = node
  }

  #local (): LocalNode {
    if (this.#node === undefined) throw new Error('MemoryAdapter used before attach()')
    return this.#node
  }

  async publish (appId: string, channel: string, frames: ChannelFrames, exceptSocketId?: string): Promise<void> {
    this.#local().deliver(appId, channel, frames, exceptSocketId)
  }

  #counts (appId: string, channel: string, subscriptionCount: number): ChannelCounts {
    const presence = this.#presence.get(keyOf(appId, channel))
    return presence === undefined && channelType(channel).kind !== 'presence'
      ? { subscriptionCount }
      : { subscriptionCount, userCount: presence?.users.size ?? 0 }
  }

  async channels (appId: string, prefix = ''): Promise<Map<string, ChannelCounts>> {
    const out = new Map<string, ChannelCounts>()
    for (const [name, subscriptionCount] of this.#local().localChannels(appId)) {
      if (name.startsWith(prefix)) out.set(name, this.#counts(appId, name, subscriptionCount))
    }
    return out
  }

  async channel (appId: string, channel: string): Promise<ChannelCounts> {
    return this.#counts(appId, channel, this.#local().localCount(appId, channel))
  }

  async addMember (appId: string, channel: string, socketId: string, member: PresenceMember, maxMembers: number):
  Promise<AddMemberResult> {
    const key = keyOf(appId, channel)
    let presence = this.#presence.get(key)
    if (presence?.userOf.has(socketId) === true) return { ok: true, first: false, members: presence.list() }
    const user = presence?.users.get(member.id)
    if (user === undefined && (presence?.users.size ?? 0) >= maxMembers) return { ok: false }
    if (presence === undefined) {
      presence = new PresenceChannel()
      this.#presence.set(key, presence)
    }
    presence.userOf.set(socketId, member.id)
    if (user !== undefined) {
      user.sockets++
      return { ok: true, first: false, members: presence.list() }
    }
    presence.users.set(member.id, { info: member.info, sockets: 1 })
    return { ok: true, first: true, members: presence.list() }
  }

  async removeMember (appId: string, channel: string, socketId: string): Promise<string | undefined> {
    const key = keyOf(appId, channel)
    const presence = this.#presence.get(key)
    const userId = presence?.userOf.get(socketId)
    if (presence === undefined || userId === undefined) return undefined
    presence.userOf.delete(socketId)
    const user = presence.users.get(userId)
    if (user !== undefined && --user.sockets > 0) return undefined
    presence.users.delete(userId)
    if (presence.users.size === 0) this.#presence.delete(key)
    return userId
  }

  async members (appId: string, channel: string): Promise<PresenceMember[]> {
    return this.#presence.get(keyOf(appId, channel))?.list() ?? []
  }

  async setCache (appId: string, channel: string, event: CachedEvent, ttlSeconds: number): Promise<void> {
    const now = this.#now()
    if (now - this.#purgedAt >= CACHE_PURGE_EVERY_MS) this.#purgeCache(now)
    const key = keyOf(appId, channel)
    this.#cache.delete(key)
    if (ttlSeconds > 0) this.#cache.set(key, { event, expiresAt: now + ttlSeconds * 1000 })
  }

  async getCache (appId: string, channel: string): Promise<CacheEntry | undefined> {
    const key = keyOf(appId, channel)
    const entry = this.#cache.get(key)
    if (entry === undefined) return undefined
    const left = entry.expiresAt - this.#now()
    if (left <= 0) {
      this.#cache.delete(key)
      return undefined
    }
    return { event: entry.event, ttlSeconds: Math.ceil(left / 1000) }
  }

  #purgeCache (now: number): void {
    this.#purgedAt = now
    for (const [key, entry] of this.#cache) if (entry.expiresAt <= now) this.#cache.delete(key)
  }

  async terminateUser (appId: string, userId: string): Promise<void> {
    this.#local().terminateLocalUser(appId, userId)
  }

  async addUserConnection (appId: string, userId: string, socketId: string): Promise<boolean> {
    const key = keyOf(appId, userId)
    let sockets = this.#userSockets.get(key)
    if (sockets === undefined) {
      sockets = new Set()
      this.#userSockets.set(key, sockets)
    }
    if (sockets.has(socketId)) return false
    sockets.add(socketId)
    return sockets.size === 1
  }

  async removeUserConnection (appId: string, userId: string, socketId: string): Promise<boolean> {
    const key = keyOf(appId, userId)
    const sockets = this.#userSockets.get(key)
    if (sockets === undefined || !sockets.delete(socketId)) return false
    if (sockets.size > 0) return false
    this.#userSockets.delete(key)
    return true
  }

  async onlineUsers (appId: string, userIds: readonly string[]): Promise<string[]> {
    return userIds.filter((id) => this.#userSockets.has(keyOf(appId, id)))
  }

  async close (): Promise<void> {
    this.#node = undefined
    this.#presence.clear()
    this.#cache.clear()
    this.#userSockets.clear()
  }
}
