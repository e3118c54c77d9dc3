/**
 * The plugin's `adapter` option: a host-owned `Adapter` instance, or a configuration the plugin turns into
 * an adapter it owns (and closes): `{ type: 'redis', url, keyPrefix?, nodeTtlSeconds?, redis? }`.
 */
import { Type, type Static } from '@sinclair/typebox'
import type { RedisOptions } from 'ioredis'
import type { Adapter } from './adapter.js'
import { MemoryAdapter } from './memory.js'
import { RedisAdapter } from './redis.js'
import { REDIS_DEFAULTS, type AdapterLogger } from './redis-options.js'

export const RedisAdapterConfigSchema = Type.Object({
  type: Type.Literal('redis'),
  url: Type.Optional(Type.String({
    pattern: '^rediss?://', description: `redis:// or rediss:// (TLS) URL; default ${REDIS_DEFAULTS.url}`
  })),
  keyPrefix: Type.Optional(Type.String({
    minLength: 1, maxLength: 200, description: `Prefix of every key and pub/sub channel (clusters sharing a Redis stay apart); default ${REDIS_DEFAULTS.keyPrefix}`
  })),
  nodeTtlSeconds: Type.Optional(Type.Number({
    minimum: 0.2,
    maximum: 3600,
    description: `Seconds a node's records outlive its last refresh; a dead node's members are removed within 1.25× this (default ${REDIS_DEFAULTS.nodeTtlSeconds})`
  })),
  redis: Type.Optional(Type.Unsafe<RedisOptions>(Type.Unknown({
    description: 'ioredis options passed through as given (tls, sentinels + name, password, db, ...)'
  })))
}, { additionalProperties: false })

export type RedisAdapterConfig = Static<typeof RedisAdapterConfigSchema>

/** Whether the `adapter` option is a configuration (plain data) rather than an adapter instance. */
export function isAdapterConfig (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && 'type' in value && typeof (value as Partial<Adapter>).attach !== 'function'
}

/** The adapter the plugin uses, and whether the plugin owns (and so closes) it. */
export function createAdapter (option: Adapter | RedisAdapterConfig | undefined, now: () => number, logger: AdapterLogger):
{ adapter: Adapter, owned: boolean } {
  if (option === undefined) return { adapter: new MemoryAdapter({ now }), owned: true }
  if (!isAdapterConfig(option)) return { adapter: option, owned: false }
  const { url, keyPrefix, nodeTtlSeconds, redis } = option
  return { adapter: new RedisAdapter({ url, keyPrefix, nodeTtlSeconds, redis, logger }), owned: true }
}
