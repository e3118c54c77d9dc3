/**
 * The cluster adapter on Redis (ioredis 5), a single Redis (or Sentinel group) or Redis Cluster: one command
 * connection (Lua scripts, PUBLISH) and one pub/sub connection per node (redis-bus.ts). A node subscribes to a channel's pub/sub topic on its first local subscriber and
 * unsubscribes on its last, so it receives traffic only for the channels it serves; terminate and
 * watchlist notices travel on one topic every node listens to (handled locally at once, their echo dropped
 * by node id). Channel messages come back through Redis to their own node too: one order for every node.
 *
 * Each node registers itself with an expiry it refreshes (`nodeTtlSeconds`); a survivor removes the
 * records of a node that stopped refreshing (killed, partitioned away) and announces what that decided.
 * While Redis is unreachable the node serves its own clients alone (see docs/scaling.md) and writes back
 * what it owns when Redis (or a restarted shard) returns. Lua scripts and key layout: redis-scripts.ts and
 * redis-keys.ts; owned state, restore and reaping: redis-state.ts;
 * message format and barriers: redis-messages.ts; options: redis-options.ts.
 */
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { RedisOptions } from 'ioredis'
import { ClusterUnavailableError, InvalidOptionsError } from '../errors.js'
import {
  channelOf, type AddMemberResult, type Adapter, type CacheEntry, type ChannelCounts, type ClusterMessage,
  type Decisions, type LocalNode, type PresenceMember, type RemovedMember
} from './adapter.js'
import { decodeMessage, encodeMessage, OwnEchoes, PendingBarriers } from './redis-messages.js'
import { loadScripts, SCRIPTS, type RedisClient } from './redis-scripts.js'
import { keyPrefixProblem, REDIS_DEFAULTS, redisOptionsProblem, type AdapterLogger, type RedisAdapterOptions } from './redis-options.js'
import { fieldOf, hasDecisions, membersOf, OwnedState, readChannel, readChannels, reapNode, restoreOwned } from './redis-state.js'
import { NodeIndex } from './redis-index.js'
import { RedisBus } from './redis-bus.js'
import { RedisKeys } from './redis-keys.js'
import { RedisRates } from './redis-rates.js'
import { errorFields } from '../log-safe.js'

const SILENT: AdapterLogger = { warn () {}, error () {} }

/** How long close waits for QUIT before it drops a connection. */
const QUIT_MS = 2000

export class RedisAdapter implements Adapter {
  readonly nodeId = randomUUID()
  /** `ready` when this node is connected and its state written back; `down` when the connection is lost. */
  readonly status = new EventEmitter<{ ready: [], down: [] }>()
  readonly keyPrefix: string
  /** Whether this adapter runs on Redis Cluster. */
  readonly cluster: boolean
  readonly #bus: RedisBus
  readonly #keys: RedisKeys
  readonly #cmd: RedisClient
  readonly #sub: RedisClient
  readonly #ttlMs: number
  readonly #log: AdapterLogger
  readonly #owned = new OwnedState()
  readonly #index: NodeIndex
  readonly #dirtyCounts = new Set<string>()
  readonly #rates: RedisRates
  /** This node's barriers waiting for their echo (see `barrier`). */
  readonly #barriers = new PendingBarriers()
  /** This node's channel messages on their way back to it through Redis (not parsed again on arrival). */
  readonly #echoes = new OwnEchoes()
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
    const prefixProblem = keyPrefixProblem(options.keyPrefix)
    if (prefixProblem !== undefined) throw new InvalidOptionsError(prefixProblem)
    this.keyPrefix = options.keyPrefix ?? REDIS_DEFAULTS.keyPrefix
    this.#ttlMs = Math.round((options.nodeTtlSeconds ?? REDIS_DEFAULTS.nodeTtlSeconds) * 1000)
    this.#log = options.logger ?? SILENT
    this.#keys = new RedisKeys(this.keyPrefix)
    this.#rates = new RedisRates(this.#keys)
    const redis: RedisOptions = options.redis ?? {}
    this.#bus = new RedisBus(options.nodes === undefined ? { url: options.url ?? REDIS_DEFAULTS.url } : { nodes: options.nodes }, redis)
    this.cluster = this.#bus.cluster
    this.#cmd = this.#bus.cmd
    this.#sub = this.#bus.sub
    this.#index = new NodeIndex(this.#cmd, this.#keys, this.nodeId, this.#owned)
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
      this.#echoes.clear()
    })
    this.#sub.on('ready', () => { this.#resubscribe() })
    this.#bus.onMessage((text) => { this.#onMessage(text) })
  }

  /** A new ioredis connection (a `Cluster` on Redis Cluster) with this adapter's options, for work of its own. */
  duplicateClient (): RedisClient {
    return this.#bus.duplicate()
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
    // A Cluster may resolve connect() before its 'ready' listeners ran: start what they start if they have not.
    this.#catchUp(!this.#synced)
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
    return this.#keys.topic(appId, channel)
  }

  get #all (): string { return this.#keys.all }

  /** Runs a script of a channel's slot with ARGV: prefix, node, app, channel, ...rest. */
  async #onChannel (script: keyof typeof SCRIPTS, appId: string, channel: string, ...rest: Array<string | number>): Promise<unknown> {
    return await SCRIPTS[script].run(this.#cmd, this.#args(appId, channel, ...rest), [this.#keys.channel(appId, channel)])
  }

  /** Runs a script of an app's slot with ARGV: prefix, node, app, ...rest. */
  async #onApp (script: keyof typeof SCRIPTS, appId: string, ...rest: Array<string | number>): Promise<unknown> {
    return await SCRIPTS[script].run(this.#cmd, this.#args(appId, ...rest), [this.#keys.app(appId)])
  }

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
        await SCRIPTS.heartbeat.run(this.#cmd, this.#args(this.#ttlMs), [this.#keys.nodes])
        this.#index.clear()
        const decisions = await restoreOwned(this.#cmd, this.#keys, this.nodeId, this.#owned,
          (appId, channel) => this.#node?.localCount(appId, channel) ?? 0)
        this.#index.restored()
        if (hasDecisions(decisions)) this.#restored.push(decisions)
      } while (this.#resync)
      this.#synced = true
      this.#quietErrors = false
      this.#failing.delete('sync')
      this.#changed()
    })().catch((error: unknown) => {
      this.#resync = true // the next heartbeat (or connection) tries again
      this.#failed('sync', error, 'broadcastt: restoring this node\'s state in Redis failed; retrying')
    }).finally(() => { this.#syncing = undefined })
  }

  /** A state change while Redis is unreachable or being restored is written back by the next sync. */
  #unsynced (): boolean {
    if (this.ready()) return false
    this.#resync = true
    return true
  }

  /** The subscription of every topic this node needs, while it is being made. */
  #subscribing: Promise<void> | undefined
  /** A topic subscription failed on a live connection: the next heartbeat subscribes every topic again. */
  #topicsDue = false

  #resubscribe (): void {
    this.#topicsDue = false
    const topics = [this.#all, ...[...this.#owned.channels.values()].map(({ appId, channel }) => this.#topic(appId, channel))]
    const subscribing: Promise<void> = this.#bus.subscribe(topics).then(() => {
      this.#subscribed = true
      this.#failing.delete('subscribe')
      this.#changed()
    }, (error: unknown) => {
      this.#topicsDue = true
      this.#failed('subscribe', error, 'broadcastt: Redis subscription failed; retrying')
    }).finally(() => { if (this.#subscribing === subscribing) this.#subscribing = undefined })
    this.#subscribing = subscribing
  }

  /** Write-back and subscription failures logged, until that kind succeeds again: a retry per heartbeat logs once. */
  readonly #failing = new Set<'sync' | 'subscribe'>()

  #failed (kind: 'sync' | 'subscribe', error: unknown, message: string): void {
    if (this.#closed || this.#failing.has(kind)) return
    this.#failing.add(kind)
    this.#log.warn({ err: errorFields(error) }, message)
  }

  /**
   * Starts a write-back (when `resync`) and a subscription that are due on a connection that is up: after a
   * failed one, from the heartbeat, rather than at a reconnection that may never come.
   */
  #catchUp (resync: boolean): void {
    if (resync && this.#syncing === undefined && this.#cmd.status === 'ready') this.#sync()
    if ((!this.#subscribed || this.#topicsDue) && this.#subscribing === undefined && this.#sub.status === 'ready') this.#resubscribe()
  }

  #heartbeat (): void {
    if (!this.ready()) {
      this.#catchUp(this.#resync)
      return
    }
    this.#catchUp(false)
    void (async () => {
      const [[added, dead], shardsChanged] = await Promise.all([SCRIPTS.heartbeat.run(this.#cmd, this.#args(this.#ttlMs),
        [this.#keys.nodes]) as Promise<[number, string[]]>, this.#bus.shardsChanged()])
      // This node had been reaped, Redis (or a shard) lost its data, or a write failed: write it back.
      if (added === 1 || shardsChanged || this.#resync) this.#sync()
      // A survivor may still be removing this node's records (its lease runs for one TTL): once more then.
      if (added === 1) setTimeout(() => { if (this.ready()) this.#sync() }, this.#ttlMs).unref()
      for (const node of dead) {
        if (node === this.nodeId) continue
        const decisions = await reapNode(this.#cmd, this.#keys, node, false, this.#ttlMs)
        if (hasDecisions(decisions)) this.#node?.decided(decisions)
      }
    })().catch((error: unknown) => { this.#log.warn({ err: errorFields(error) }, 'broadcastt: Redis node refresh failed') })
  }

  #onMessage (text: string): void {
    const own = this.#echoes.take(text)
    if (own !== undefined) {
      this.#node?.receive(own)
      return
    }
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
      await this.#index.channel(appId, channel)
      const [occupied] = await Promise.all([
        this.#onChannel('subscribe', appId, channel, this.#local().localCount(appId, channel)),
        this.#cmd.sadd(this.#keys.occupied(appId), fieldOf(channel, this.nodeId)),
        this.#bus.subscribe([this.#topic(appId, channel)])
      ])
      return occupied === 1
    } catch (error) {
      this.#resync = true
      this.#topicsDue = true
      this.#failed('subscribe', error, 'broadcastt: Redis subscription failed; retrying')
      return false
    }
  }

  async unsubscribe (appId: string, channel: string): Promise<boolean> {
    const key = fieldOf(appId, channel)
    this.#owned.channels.delete(key)
    this.#dirtyCounts.delete(key)
    if (this.#unsynced()) return false
    const [vacated] = await Promise.all([
      this.#onChannel('unsubscribe', appId, channel),
      this.#cmd.srem(this.#keys.occupied(appId), fieldOf(channel, this.nodeId)),
      this.#bus.unsubscribe(this.#topic(appId, channel))
    ])
    await this.#index.dropChannel(appId, channel)
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
      this.#onChannel('count', appId, channel, node.localCount(appId, channel)).catch(() => { this.#resync = true })
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
        await this.#bus.publish(this.#all, text)
      } else if (cacheSeconds !== undefined && message.type === 'event') {
        const topic = this.#topic(message.appId, channel)
        await SCRIPTS.publishCached.run(this.#cmd, [this.keyPrefix, message.appId, channel, topic, text.slice(0, -1),
          cacheSeconds * 1000, this.#bus.publishCommand], [topic])
      } else {
        if (this.#owned.channels.has(fieldOf(message.appId, channel))) this.#echoes.sent(text, message)
        await this.#bus.publish(this.#topic(message.appId, channel), text)
      }
    } catch (error) {
      this.#echoes.take(text)
      if (channel !== undefined) local()
      this.#log.warn({ err: errorFields(error) }, 'broadcastt: Redis publish failed; other nodes miss this message')
    }
  }

  #needRedis (): void {
    if (!this.ready()) throw new ClusterUnavailableError()
  }

  async channels (appId: string, prefix = ''): Promise<Map<string, ChannelCounts>> {
    this.#needRedis()
    return await readChannels(this.#cmd, this.#keys, appId, prefix)
  }

  async channel (appId: string, channel: string): Promise<ChannelCounts> {
    this.#needRedis()
    return await readChannel(this.#cmd, this.#keys, appId, channel)
  }

  async addMember (appId: string, channel: string, socketId: string, member: PresenceMember, maxMembers: number):
  Promise<AddMemberResult> {
    this.#needRedis()
    await this.#index.channel(appId, channel)
    const reply = await this.#onChannel('addMember', appId, channel,
      socketId, member.id, JSON.stringify(member.info ?? null), maxMembers) as Array<string | number>
    if (reply[0] === -1) {
      void this.#index.dropChannel(appId, channel).catch(() => { this.#resync = true })
      return { ok: false }
    }
    this.#owned.addMember(appId, channel, socketId, member)
    return { ok: true, first: reply[0] === 1, seq: Number(reply[1]), members: membersOf(reply.slice(2)) }
  }

  async removeMember (appId: string, channel: string, socketId: string): Promise<RemovedMember | undefined> {
    if (!this.#owned.removeMember(appId, channel, socketId) || this.#unsynced()) return undefined
    const reply = await this.#onChannel('removeMember', appId, channel, socketId)
    await this.#index.dropChannel(appId, channel)
    return Array.isArray(reply) ? { userId: String(reply[0]), seq: Number(reply[1]) } : undefined
  }

  async members (appId: string, channel: string): Promise<PresenceMember[]> {
    this.#needRedis()
    return membersOf(await this.#cmd.hgetall(this.#keys.presenceInfo(appId, channel)))
  }

  async getCache (appId: string, channel: string): Promise<CacheEntry | undefined> {
    this.#needRedis()
    const reply = await SCRIPTS.getCache.run(this.#cmd, [this.keyPrefix, appId, channel], [this.#keys.channel(appId, channel)])
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
    await this.#index.app(appId)
    return await this.#onApp('addUser', appId, userId, socketId) === 1
  }

  async removeUserConnection (appId: string, userId: string, socketId: string): Promise<boolean> {
    if (!this.#owned.users.delete(fieldOf(appId, userId, socketId)) || this.#unsynced()) return false
    return await this.#onApp('removeUser', appId, userId, socketId) === 1
  }

  async onlineUsers (appId: string, userIds: readonly string[]): Promise<string[]> {
    this.#needRedis()
    if (userIds.length === 0) return []
    const counts = await this.#cmd.hmget(this.#keys.users(appId), ...userIds)
    return userIds.filter((_, i) => Number(counts[i] ?? 0) > 0)
  }

  async addConnection (appId: string, max: number): Promise<boolean> {
    if (this.#unsynced()) {
      // Redis is down: this node alone enforces the quota on its own connections.
      if (max > 0 && this.#owned.localConnections(appId) >= max) return false
      this.#owned.addConnection(appId)
      return true
    }
    await this.#index.app(appId)
    const counted = await this.#onApp('addConnection', appId, max) === 1
    if (counted) this.#owned.addConnection(appId)
    return counted
  }

  async removeConnection (appId: string): Promise<void> {
    if (!this.#owned.removeConnection(appId) || this.#unsynced()) return
    await this.#onApp('removeConnection', appId)
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
   * On Redis Cluster each shard orders only its own topics, so a barrier goes on every topic this node
   * listens to (cost grows with the channels it serves: a test tool).
   * Resolves at once while this node is not connected and subscribed, and when the pub/sub connection drops
   * meanwhile: a message not received by then never will be. For tests (`fastify.broadcastt.settle()`); the hub never calls it.
   */
  async barrier (): Promise<void> {
    if (this.#closed || !this.#subscribed || this.#cmd.status !== 'ready') return
    if (this.#dirtyCounts.size > 0) this.#flushCounts()
    const topics = [this.#all]
    if (this.cluster) for (const { appId, channel } of this.#owned.channels.values()) topics.push(this.#topic(appId, channel))
    await this.#barriers.pass(this.nodeId, topics, async (topic, text) => { await this.#bus.publish(topic, text) })
  }

  /** Removes this node's records from Redis (announcing what that decided) and closes both connections. */
  async close (): Promise<void> {
    if (this.#closed) return
    clearInterval(this.#timer)
    if (this.ready()) {
      try {
        const decisions = await reapNode(this.#cmd, this.#keys, this.nodeId, true, this.#ttlMs)
        if (hasDecisions(decisions)) this.#node?.decided(decisions)
        await new Promise((resolve) => setImmediate(resolve)) // let the announcements go out
      } catch (error) {
        this.#log.warn({ err: errorFields(error) }, 'broadcastt: removing this node\'s records from Redis failed; survivors will')
      }
    }
    this.#closed = true
    this.#node = undefined
    // QUIT waits for the replies before it; a primary that stopped answering must not hold close forever.
    await Promise.all([this.#cmd, this.#sub].map(async (client) => {
      let timer: NodeJS.Timeout | undefined
      const quit = client.quit().then(() => true, () => false)
      const quitted = await Promise.race([quit, new Promise<false>((resolve) => { timer = setTimeout(resolve, QUIT_MS, false) })])
      clearTimeout(timer)
      if (!quitted) client.disconnect()
    }))
  }
}
