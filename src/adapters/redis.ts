/**
 * The cluster adapter on Redis (ioredis 5): one command connection (Lua scripts, PUBLISH) and one pub/sub
 * connection per node. A node subscribes to a channel's pub/sub topic on its first local subscriber and
 * unsubscribes on its last, so it receives traffic only for the channels it serves; terminate and
 * watchlist notices travel on one topic every node listens to (handled locally at once, their echo dropped
 * by node id). Channel messages come back through Redis to their own node too: one order for every node.
 *
 * Each node registers itself with an expiry it refreshes (`nodeTtlSeconds`); a survivor removes the
 * records of a node that stopped refreshing (killed, partitioned away) and announces what that decided.
 * While Redis is unreachable the node serves its own clients alone (see docs/scaling.md) and writes back
 * what it owns when Redis returns. Lua scripts and key layout: redis-scripts.ts; owned state: redis-state.ts;
 * message format and barriers: redis-messages.ts; options: redis-options.ts.
 */
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { Redis, type RedisOptions } from 'ioredis'
import { ClusterUnavailableError, InvalidOptionsError } from '../errors.js'
import {
  channelOf, type AddMemberResult, type Adapter, type CacheEntry, type ChannelCounts, type ClusterMessage,
  type Decisions, type LocalNode, type PresenceMember, type RemovedMember
} from './adapter.js'
import { decodeMessage, encodeMessage, PendingBarriers } from './redis-messages.js'
import { loadScripts, SCRIPTS } from './redis-scripts.js'
import { REDIS_DEFAULTS, redisOptionsProblem, type AdapterLogger, type RedisAdapterOptions } from './redis-options.js'
import { countsOf, fieldOf, hasDecisions, membersOf, OwnedState, reapDecisions, restoreOwned } from './redis-state.js'
import { RedisRates } from './redis-rates.js'
import { errorFields } from '../log-safe.js'

const SILENT: AdapterLogger = { warn () {}, error () {} }

/** Exponential reconnection backoff: 100 ms doubling up to 5 s. */
const backoff = (attempt: number): number => Math.min(100 * 2 ** Math.min(attempt, 6), 5000)

export class RedisAdapter implements Adapter {
  readonly nodeId = randomUUID()
  /** `ready` when this node is connected and its state written back; `down` when the connection is lost. */
  readonly status = new EventEmitter<{ ready: [], down: [] }>()
  readonly keyPrefix: string
  readonly #url: string
  readonly #redisOptions: RedisOptions
  readonly #cmd: Redis
  readonly #sub: Redis
  readonly #ttlMs: number
  readonly #log: AdapterLogger
  readonly #owned = new OwnedState()
  readonly #dirtyCounts = new Set<string>()
  readonly #rates: RedisRates
  /** This node's barriers waiting for their echo (see `barrier`). */
  readonly #barriers = new PendingBarriers()
  #node: LocalNode | undefined
  #synced = false
  #resync = false
  #syncing: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  #closed = false
  #quietErrors = false
  #up = false
  /**
   * What a write-back decided (a member who left while Redis was out of reach…), announced once the node is
   * ready again: announced earlier, its messages would reach this node's subscribers only.
   */
  #restored: Decisions[] = []

  constructor (options: RedisAdapterOptions = {}) {
    const problem = redisOptionsProblem(options.redis)
    if (problem !== undefined) throw new InvalidOptionsError(`redis.${problem}`)
    this.#url = options.url ?? REDIS_DEFAULTS.url
    this.keyPrefix = options.keyPrefix ?? REDIS_DEFAULTS.keyPrefix
    this.#ttlMs = Math.round((options.nodeTtlSeconds ?? REDIS_DEFAULTS.nodeTtlSeconds) * 1000)
    this.#log = options.logger ?? SILENT
    this.#redisOptions = options.redis ?? {}
    this.#rates = new RedisRates(this.keyPrefix)
    const own: RedisOptions = {
      ...this.#redisOptions, lazyConnect: true, enableOfflineQueue: false, autoResubscribe: false, retryStrategy: backoff
    }
    this.#cmd = new Redis(this.#url, own)
    this.#sub = new Redis(this.#url, own)
    for (const client of [this.#cmd, this.#sub]) {
      client.on('error', (error: Error) => { this.#connectionError(error) })
    }
    this.#cmd.on('ready', () => { this.#sync() })
    this.#cmd.on('close', () => {
      this.#synced = false
      this.#changed()
    })
    this.#sub.on('close', () => {
      this.#changed()
      this.#barriers.endAll()
    })
    this.#sub.on('ready', () => { this.#resubscribe() })
    this.#sub.on('message', (_topic: string, text: string) => { this.#onMessage(text) })
  }

  /** A new ioredis connection with the options of this adapter's (for work on a connection of its own). */
  duplicateClient (): Redis {
    return new Redis(this.#url, this.#redisOptions)
  }

  ready (): boolean {
    return this.#synced && this.#subscribed && this.#cmd.status === 'ready' && this.#sub.status === 'ready'
  }

  #subscribed = false

  /** Emits `ready` / `down` when `ready()` changed. */
  #changed (): void {
    if (this.#sub.status !== 'ready') this.#subscribed = false
    const up = this.ready()
    if (this.#closed) return
    if (up !== this.#up) {
      this.#up = up
      this.status.emit(up ? 'ready' : 'down')
    }
    if (up) for (const decisions of this.#restored.splice(0)) this.#node?.decided(decisions)
  }

  async attach (node: LocalNode): Promise<void> {
    this.#node = node
    this.#timer = setInterval(() => { this.#heartbeat() }, Math.max(50, Math.floor(this.#ttlMs / 4)))
    this.#timer.unref()
    // Start even when Redis is down: local clients are served and the connection keeps retrying.
    await Promise.all([this.#cmd.connect(), this.#sub.connect()].map(async (p) => await p.catch(() => {})))
    // Ready once both the state is written back and the subscriber listens: `ready()` is then true.
    await Promise.all([this.#syncing, this.#subscribing])
  }

  #local (): LocalNode {
    if (this.#node === undefined) throw new Error('RedisAdapter used before attach()')
    return this.#node
  }

  #connectionError (error: Error): void {
    if (this.#quietErrors || this.#closed) return
    this.#quietErrors = true // once per outage: ioredis reports every reconnection attempt
    this.#log.error({ err: errorFields(error) }, 'broadcastt: Redis connection error; serving local clients until it is back')
  }

  #topic (appId: string, channel: string): string {
    return `${this.keyPrefix}m:${appId}:${channel}`
  }

  get #all (): string { return `${this.keyPrefix}all` }

  #args (...rest: Array<string | number>): Array<string | number> {
    return [this.keyPrefix, this.nodeId, ...rest]
  }

  /** Writes back what this node owns (after every connection), then announces what that decided. */
  #sync (): void {
    if (this.#syncing !== undefined) {
      this.#resync = true
      return
    }
    this.#syncing = (async () => {
      do {
        this.#resync = false
        await loadScripts(this.#cmd)
        await SCRIPTS.heartbeat.run(this.#cmd, this.#args(this.#ttlMs))
        const decisions = await restoreOwned(this.#cmd, this.keyPrefix, this.nodeId, this.#owned,
          (appId, channel) => this.#node?.localCount(appId, channel) ?? 0)
        if (hasDecisions(decisions)) this.#restored.push(decisions)
      } while (this.#resync)
      this.#synced = true
      this.#quietErrors = false
      this.#changed()
    })().catch((error: unknown) => {
      if (!this.#closed) this.#log.warn({ err: errorFields(error) }, 'broadcastt: restoring this node\'s state in Redis failed; retrying')
    }).finally(() => { this.#syncing = undefined })
  }

  /** A state change while Redis is unreachable or being restored is written back by the next sync. */
  #unsynced (): boolean {
    if (this.ready()) return false
    this.#resync = true
    return true
  }

  /** The subscription of the subscriber connection's last `ready`, while it is being made. */
  #subscribing: Promise<void> | undefined

  #resubscribe (): void {
    const topics = [this.#all, ...[...this.#owned.channels.values()].map(({ appId, channel }) => this.#topic(appId, channel))]
    const subscribing: Promise<void> = this.#sub.subscribe(...topics).then(() => {
      this.#subscribed = true
      this.#changed()
    }, (error: unknown) => {
      this.#log.warn({ err: errorFields(error) }, 'broadcastt: Redis resubscription failed; retrying on the next connection')
    }).finally(() => { if (this.#subscribing === subscribing) this.#subscribing = undefined })
    this.#subscribing = subscribing
  }

  #heartbeat (): void {
    if (!this.ready()) return
    void (async () => {
      const [added, dead] = await SCRIPTS.heartbeat.run(this.#cmd, this.#args(this.#ttlMs)) as [number, string[]]
      if (added === 1) this.#sync() // this node had been reaped (or Redis lost its data): write it back
      for (const node of dead) {
        if (node === this.nodeId) continue
        const decisions = reapDecisions(await SCRIPTS.reap.run(this.#cmd, [this.keyPrefix, node, '0']))
        if (hasDecisions(decisions)) this.#node?.decided(decisions)
      }
    })().catch((error: unknown) => { this.#log.warn({ err: errorFields(error) }, 'broadcastt: Redis node refresh failed') })
  }

  #onMessage (text: string): void {
    const decoded = decodeMessage(text)
    if (!decoded.ok) {
      this.#log.warn({ reason: decoded.reason, bytes: text.length }, 'broadcastt: dropped a malformed message from Redis')
      return
    }
    const { node, message } = decoded
    if (message.type === 'barrier') {
      if (node === this.nodeId) this.#barriers.arrived(message.id)
      return
    }
    if (node === this.nodeId && channelOf(message) === undefined) return // own echo: handled at once
    this.#node?.receive(message)
  }

  async subscribe (appId: string, channel: string): Promise<boolean> {
    this.#owned.channels.set(fieldOf(appId, channel), { appId, channel })
    if (this.#unsynced()) return false
    try {
      const [occupied] = await Promise.all([
        SCRIPTS.subscribe.run(this.#cmd, this.#args(appId, channel, this.#local().localCount(appId, channel))),
        this.#sub.subscribe(this.#topic(appId, channel))
      ])
      return occupied === 1
    } catch (error) {
      this.#resync = true
      this.#log.warn({ err: errorFields(error) }, 'broadcastt: Redis subscription failed; restored on reconnection')
      return false
    }
  }

  async unsubscribe (appId: string, channel: string): Promise<boolean> {
    const key = fieldOf(appId, channel)
    this.#owned.channels.delete(key)
    this.#dirtyCounts.delete(key)
    if (this.#unsynced()) return false
    const [vacated] = await Promise.all([
      SCRIPTS.unsubscribe.run(this.#cmd, this.#args(appId, channel)),
      this.#sub.unsubscribe(this.#topic(appId, channel))
    ])
    return vacated === 1
  }

  countChanged (appId: string, channel: string): void {
    if (this.#dirtyCounts.size === 0) setImmediate(() => { this.#flushCounts() })
    this.#dirtyCounts.add(fieldOf(appId, channel))
  }

  /** Writes this node's changed subscriber counts, coalesced per event-loop turn. */
  #flushCounts (): void {
    const node = this.#node
    if (node === undefined || this.#unsynced()) return
    for (const key of this.#dirtyCounts) {
      const owned = this.#owned.channels.get(key)
      if (owned === undefined) continue
      const { appId, channel } = owned
      SCRIPTS.count.run(this.#cmd, this.#args(appId, channel, node.localCount(appId, channel))).catch(() => { this.#resync = true })
    }
    this.#dirtyCounts.clear()
  }

  /**
   * Channel messages reach this node's subscribers through Redis like everyone else's, so every node sees
   * one order per channel (the order Redis received them in, which is the trigger order); terminate and
   * watchlist notices are handled here at once and their echo is dropped.
   */
  async publish (message: ClusterMessage, cacheSeconds?: number): Promise<void> {
    const node = this.#local()
    const channel = channelOf(message)
    const local = (): void => {
      if (channel === undefined || this.#owned.channels.has(fieldOf(message.appId, channel))) node.receive(message)
    }
    if (!this.ready()) {
      local() // Redis is down: this node's subscribers still get it
      return
    }
    const text = encodeMessage(this.nodeId, message)
    try {
      if (channel === undefined) {
        node.receive(message)
        await this.#cmd.publish(this.#all, text)
      } else if (cacheSeconds !== undefined && message.type === 'event') {
        await SCRIPTS.publishCached.run(this.#cmd,
          [this.keyPrefix, message.appId, channel, this.#topic(message.appId, channel), text.slice(0, -1), cacheSeconds * 1000])
      } else {
        await this.#cmd.publish(this.#topic(message.appId, channel), text)
      }
    } catch (error) {
      if (channel !== undefined) local()
      this.#log.warn({ err: errorFields(error) }, 'broadcastt: Redis publish failed; other nodes miss this message')
    }
  }

  #needRedis (): void {
    if (!this.ready()) throw new ClusterUnavailableError()
  }

  async channels (appId: string, prefix = ''): Promise<Map<string, ChannelCounts>> {
    this.#needRedis()
    const flat = await SCRIPTS.channels.run(this.#cmd, [this.keyPrefix, appId, prefix]) as Array<string | number>
    const out = new Map<string, ChannelCounts>()
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const name = String(flat[i])
      out.set(name, countsOf(name, Number(flat[i + 1]), Number(flat[i + 2])))
    }
    return out
  }

  async channel (appId: string, channel: string): Promise<ChannelCounts> {
    this.#needRedis()
    const [subscriptions, users] = await SCRIPTS.channel.run(this.#cmd, [this.keyPrefix, appId, channel]) as [number, number]
    return countsOf(channel, subscriptions, users)
  }

  async addMember (appId: string, channel: string, socketId: string, member: PresenceMember, maxMembers: number):
  Promise<AddMemberResult> {
    this.#needRedis()
    const reply = await SCRIPTS.addMember.run(this.#cmd,
      this.#args(appId, channel, socketId, member.id, JSON.stringify(member.info ?? null), maxMembers)) as Array<string | number>
    if (reply[0] === -1) return { ok: false }
    this.#owned.members.set(fieldOf(appId, channel, socketId), { appId, channel, socketId, member })
    return { ok: true, first: reply[0] === 1, seq: Number(reply[1]), members: membersOf(reply.slice(2)) }
  }

  async removeMember (appId: string, channel: string, socketId: string): Promise<RemovedMember | undefined> {
    if (!this.#owned.members.delete(fieldOf(appId, channel, socketId)) || this.#unsynced()) return undefined
    const reply = await SCRIPTS.removeMember.run(this.#cmd, this.#args(appId, channel, socketId))
    return Array.isArray(reply) ? { userId: String(reply[0]), seq: Number(reply[1]) } : undefined
  }

  async members (appId: string, channel: string): Promise<PresenceMember[]> {
    this.#needRedis()
    return membersOf(await this.#cmd.hgetall(`${this.keyPrefix}pi:${appId}:${channel}`))
  }

  async getCache (appId: string, channel: string): Promise<CacheEntry | undefined> {
    this.#needRedis()
    const reply = await SCRIPTS.getCache.run(this.#cmd, [this.keyPrefix, appId, channel])
    if (!Array.isArray(reply)) return undefined
    const decoded = decodeMessage(String(reply[0]))
    if (!decoded.ok || decoded.message.type !== 'event' || decoded.message.seq === undefined) return undefined
    const ms = Number(reply[1])
    if (ms <= 0) return undefined
    return { event: { ...decoded.message, seq: decoded.message.seq }, ttlSeconds: Math.ceil(ms / 1000) }
  }

  async addUserConnection (appId: string, userId: string, socketId: string): Promise<boolean> {
    const key = fieldOf(appId, userId, socketId)
    if (this.#owned.users.has(key)) return false
    this.#owned.users.set(key, { appId, userId, socketId })
    if (this.#unsynced()) return false
    return await SCRIPTS.addUser.run(this.#cmd, this.#args(appId, userId, socketId)) === 1
  }

  async removeUserConnection (appId: string, userId: string, socketId: string): Promise<boolean> {
    if (!this.#owned.users.delete(fieldOf(appId, userId, socketId)) || this.#unsynced()) return false
    return await SCRIPTS.removeUser.run(this.#cmd, this.#args(appId, userId, socketId)) === 1
  }

  async onlineUsers (appId: string, userIds: readonly string[]): Promise<string[]> {
    this.#needRedis()
    if (userIds.length === 0) return []
    const counts = await this.#cmd.hmget(`${this.keyPrefix}u:${appId}`, ...userIds)
    return userIds.filter((_, i) => Number(counts[i] ?? 0) > 0)
  }

  async addConnection (appId: string, max: number): Promise<boolean> {
    if (this.#unsynced()) {
      // Redis is down: this node alone enforces the quota on its own connections.
      if (max > 0 && this.#owned.localConnections(appId) >= max) return false
      this.#owned.addConnection(appId)
      return true
    }
    const counted = await SCRIPTS.addConnection.run(this.#cmd, this.#args(appId, max)) === 1
    if (counted) this.#owned.addConnection(appId)
    return counted
  }

  async removeConnection (appId: string): Promise<void> {
    if (!this.#owned.removeConnection(appId) || this.#unsynced()) return
    await SCRIPTS.removeConnection.run(this.#cmd, this.#args(appId))
  }

  async takeTokens (appId: string, bucket: string, perSecond: number, count: number): Promise<boolean> {
    return await this.#rates.take(this.ready() ? this.#cmd : undefined, appId, bucket, perSecond, count)
  }

  /**
   * Resolves once this node has received every message whose publication had completed, on any node, before
   * the call: it publishes a barrier on the topic every node listens to, through the command connection, and
   * waits for its own echo on the pub/sub connection. Redis executes commands one at a time and pushes a
   * subscriber its messages in execution order, so the echo comes after every message executed before it.
   * This node's pending count writes go out first on the same connection, so they are done by then too.
   * Resolves at once while this node is not connected and subscribed, and when the pub/sub connection drops
   * meanwhile: a message not received by then never will be. For tests (`fastify.broadcastt.settle()`); the hub never calls it.
   */
  async barrier (): Promise<void> {
    if (this.#closed || !this.#subscribed || this.#cmd.status !== 'ready') return
    if (this.#dirtyCounts.size > 0) this.#flushCounts()
    const { id, echoed } = this.#barriers.open()
    try {
      await this.#cmd.publish(this.#all, encodeMessage(this.nodeId, { type: 'barrier', id }))
    } catch (error) {
      this.#barriers.cancel(id)
      throw error
    }
    await echoed
  }

  /** Removes this node's records from Redis (announcing what that decided) and closes both connections. */
  async close (): Promise<void> {
    if (this.#closed) return
    clearInterval(this.#timer)
    if (this.ready()) {
      try {
        const decisions = reapDecisions(await SCRIPTS.reap.run(this.#cmd, [this.keyPrefix, this.nodeId, '1']))
        if (hasDecisions(decisions)) this.#node?.decided(decisions)
        await new Promise((resolve) => setImmediate(resolve)) // let the announcements go out
      } catch (error) {
        this.#log.warn({ err: errorFields(error) }, 'broadcastt: removing this node\'s records from Redis failed; survivors will')
      }
    }
    this.#closed = true
    this.#node = undefined
    await Promise.all([this.#cmd, this.#sub].map(async (client) => {
      await client.quit().catch(() => { client.disconnect() })
    }))
  }
}
