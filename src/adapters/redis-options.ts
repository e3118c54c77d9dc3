/** The Redis adapter's options and defaults (`RedisAdapter`, and the plugin's `adapter: { type: 'redis' }`). */
import type { RedisOptions } from 'ioredis'

/** Where the adapter reports what it drops or cannot do; the plugin passes its logger. */
export interface AdapterLogger {
  warn (obj: object, msg: string): void
  error (obj: object, msg: string): void
}

export interface RedisAdapterOptions {
  /** `redis://` or `rediss://` (TLS) URL; default `redis://127.0.0.1:6379`. */
  url?: string | undefined
  /** Prefix of every key and pub/sub channel: clusters sharing one Redis stay apart. Default `broadcastt:`. */
  keyPrefix?: string | undefined
  /**
   * Seconds a node's records outlive its last refresh (refreshed every quarter of it). A dead node's members
   * are removed within about 1.25 × this. Default 20 (so at most 25 s).
   */
  nodeTtlSeconds?: number | undefined
  /** ioredis options (TLS, Sentinel `sentinels` + `name`, password, db, ...), passed through. */
  redis?: RedisOptions | undefined
  logger?: AdapterLogger | undefined
}

export const REDIS_DEFAULTS = Object.freeze({ url: 'redis://127.0.0.1:6379', keyPrefix: 'broadcastt:', nodeTtlSeconds: 20 })
