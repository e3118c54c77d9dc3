/**
 * The Redis adapter's two connections, on a single Redis (or a Sentinel group) or on Redis Cluster: one for
 * commands and scripts, one for pub/sub. On a single Redis a channel's topic is classic pub/sub (PUBLISH /
 * SUBSCRIBE); on Redis Cluster it is sharded pub/sub (SPUBLISH / SSUBSCRIBE), routed through the one shard
 * that owns the topic's hash slot, the slot of the channel's keys (ioredis keeps one subscriber connection
 * per primary and moves subscriptions when slots move).
 */
import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis'
import type { RedisClient } from './redis-scripts.js'

/** Exponential reconnection backoff: 100 ms doubling up to 5 s. */
export const backoff = (attempt: number): number => Math.min(100 * 2 ** Math.min(attempt, 6), 5000)

/** How often a Redis Cluster client looks up the slot map (ioredis's `slotsRefreshInterval`). */
export const SLOTS_REFRESH_MS = 1000

/** Where Redis is: a URL (single Redis, Sentinel through `redis`) or the seed nodes of a Redis Cluster. */
export type RedisTarget = { readonly url: string } | { readonly nodes: readonly ClusterNode[] }

export class RedisBus {
  readonly cmd: RedisClient
  readonly sub: RedisClient
  readonly cluster: boolean
  /** The command a script publishes with. */
  readonly publishCommand: 'PUBLISH' | 'SPUBLISH'
  /** Each primary's run id (address → id) at the last look: a changed one restarted and may have lost data. */
  #runIds = new Map<string, string>()
  #looked = false

  constructor (readonly target: RedisTarget, readonly options: RedisOptions) {
    const own: RedisOptions = { ...options, lazyConnect: true, enableOfflineQueue: false, autoResubscribe: false, retryStrategy: backoff }
    if ('url' in target) {
      this.cluster = false
      this.cmd = new Redis(target.url, own)
      this.sub = new Redis(target.url, own)
    } else {
      this.cluster = true
      const { retryStrategy: _r, ...redisOptions } = own
      // Slots are looked up every second: a moved slot's sharded subscriptions follow it within that.
      const base = {
        redisOptions,
        lazyConnect: true,
        enableOfflineQueue: false,
        clusterRetryStrategy: backoff,
        scaleReads: 'master' as const,
        slotsRefreshInterval: SLOTS_REFRESH_MS
      }
      this.cmd = new Cluster([...target.nodes], base)
      this.sub = new Cluster([...target.nodes], { ...base, shardedSubscribers: true })
    }
    this.publishCommand = this.cluster ? 'SPUBLISH' : 'PUBLISH'
  }

  /** Calls `handler` with every message of the topics subscribed to. */
  onMessage (handler: (text: string) => void): void {
    this.sub.on(this.cluster ? 'smessage' : 'message', (_topic: string, text: string) => { handler(text) })
  }

  async subscribe (topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return
    // A sharded subscription takes topics of one slot: one command per topic.
    if (this.cluster) await Promise.all(topics.map(async (topic) => await this.sub.ssubscribe(topic)))
    else await this.sub.subscribe(...topics)
  }

  async unsubscribe (topic: string): Promise<void> {
    await (this.cluster ? this.sub.sunsubscribe(topic) : this.sub.unsubscribe(topic))
  }

  async publish (topic: string, text: string): Promise<void> {
    await (this.cluster ? this.cmd.spublish(topic, text) : this.cmd.publish(topic, text))
  }

  /** A new connection with the same options (for work on a connection of its own). */
  duplicate (): RedisClient {
    return 'url' in this.target
      ? new Redis(this.target.url, this.options)
      : new Cluster([...this.target.nodes], { redisOptions: this.options, scaleReads: 'master' })
  }

  /**
   * Whether a primary restarted (or a new one took over) since the last look, so part of the cluster's data
   * may be gone: the adapter then writes back what it owns. False on a single Redis (its reconnection tells).
   */
  async shardsChanged (): Promise<boolean> {
    if (!(this.cmd instanceof Cluster)) return false
    const seen = new Map<string, string>()
    await Promise.all(this.cmd.nodes('master').map(async (node) => {
      const info = await node.info('server').catch(() => '')
      const id = /run_id:(\w+)/.exec(info)?.[1]
      if (id !== undefined) seen.set(`${node.options.host ?? ''}:${node.options.port ?? ''}`, id)
    }))
    let changed = false
    for (const [address, id] of seen) {
      const before = this.#runIds.get(address)
      if (before === undefined ? this.#looked : before !== id) changed = true
      this.#runIds.set(address, id)
    }
    this.#looked = true
    return changed
  }
}
