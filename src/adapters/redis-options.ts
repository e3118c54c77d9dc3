/** The Redis adapter's options and defaults (`RedisAdapter`, and the plugin's `adapter: { type: 'redis' }`). */
import type { ClusterNode, RedisOptions } from 'ioredis'

/** Where the adapter reports what it drops or cannot do; the plugin passes its logger. */
export interface AdapterLogger {
  warn (obj: object, msg: string): void
  error (obj: object, msg: string): void
}

export interface RedisAdapterOptions {
  /** `redis://` or `rediss://` (TLS) URL; default `redis://127.0.0.1:6379`. */
  url?: string | undefined
  /** Seed nodes of a Redis Cluster (7+): runs on the cluster, with sharded pub/sub, instead of `url`. */
  nodes?: readonly ClusterNode[] | undefined
  /** Prefix of every key and pub/sub channel: clusters sharing one Redis stay apart. Default `broadcastt:`. */
  keyPrefix?: string | undefined
  /**
   * Seconds a node's records outlive its last refresh (refreshed every quarter of it). A dead node's members
   * are removed within about 1.25 × this. Default 20 (so at most 25 s).
   */
  nodeTtlSeconds?: number | undefined
  /** ioredis options (TLS, Sentinel `sentinels` + `name`, password, db, ...), passed through (to every cluster node on Redis Cluster). */
  redis?: RedisOptions | undefined
  logger?: AdapterLogger | undefined
}

export const REDIS_DEFAULTS = Object.freeze({ url: 'redis://127.0.0.1:6379', keyPrefix: 'broadcastt:', nodeTtlSeconds: 20 })

/**
 * Why the adapter cannot take these ioredis options, naming the offending field; undefined when it can.
 * ioredis's own `keyPrefix` would apply to plain commands but not to Lua scripts or pub/sub, so two clusters
 * that differ only by it would share channels and corrupt each other's presence: use `keyPrefix` of the
 * adapter, which prefixes every key and topic.
 */
export function redisOptionsProblem (redis: RedisOptions | undefined): string | undefined {
  if (redis?.keyPrefix === undefined) return undefined
  return 'keyPrefix: ioredis\'s keyPrefix is not applied to scripts and pub/sub; set the adapter\'s own keyPrefix instead'
}

/**
 * Why the adapter cannot take this key prefix, or undefined. Its keys carry hash tags (`{app:channel}`,
 * `{app}`, ...): a brace in the prefix would become the tag of every key, putting all of them in one slot.
 */
export function keyPrefixProblem (keyPrefix: string | undefined): string | undefined {
  if (keyPrefix === undefined || !/[{}]/.test(keyPrefix)) return undefined
  return 'keyPrefix: must not contain { or } (the adapter puts hash tags in its keys)'
}
