/**
 * The plugin's `adapter` option: a host-owned `Adapter` instance, or a configuration the plugin turns into
 * an adapter it owns (and closes): `{ type: 'redis', url, keyPrefix?, nodeTtlSeconds?, redis? }` or
 * `{ type: 'redis-cluster', nodes: [{ host, port }], keyPrefix?, nodeTtlSeconds?, redis? }`.
 */
import { Type, type Static } from '@sinclair/typebox'
import type { RedisOptions } from 'ioredis'
import type { Adapter } from './adapter.js'
import { MemoryAdapter } from './memory.js'
import { RedisAdapter } from './redis.js'
import { REDIS_DEFAULTS, type AdapterLogger } from './redis-options.js'

const common = {
  keyPrefix: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: '^[^{}]*$',
    description: `Prefix of every key and pub/sub channel (clusters sharing a Redis stay apart; no { or }); default ${REDIS_DEFAULTS.keyPrefix}`
  })),
  nodeTtlSeconds: Type.Optional(Type.Number({
    minimum: 0.2,
    maximum: 3600,
    description: `Seconds a node's records outlive its last refresh; a dead node's members are removed within 1.25× this (default ${REDIS_DEFAULTS.nodeTtlSeconds})`
  })),
  redis: Type.Optional(Type.Unsafe<RedisOptions>(Type.Unknown({
    description: 'ioredis options passed through as given (tls, sentinels + name, password, db, ...; on Redis Cluster, given to every node)'
  })))
}

export const RedisAdapterConfigSchema = Type.Object({
  type: Type.Literal('redis'),
  url: Type.Optional(Type.String({
    pattern: '^rediss?://', description: `redis:// or rediss:// (TLS) URL; default ${REDIS_DEFAULTS.url}`
  })),
  ...common
}, { additionalProperties: false })

export const RedisClusterAdapterConfigSchema = Type.Object({
  type: Type.Literal('redis-cluster'),
  nodes: Type.Array(Type.Object({
    host: Type.String({ minLength: 1, maxLength: 255 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 })
  }, { additionalProperties: false }), {
    minItems: 1, maxItems: 100, description: 'Seed nodes of the Redis Cluster (7+); the others are discovered'
  }),
  ...common
}, { additionalProperties: false })

/** The `adapter` configurations, by `type`. */
export const AdapterConfigSchema = Type.Union([RedisAdapterConfigSchema, RedisClusterAdapterConfigSchema])

export type RedisAdapterConfig = Static<typeof RedisAdapterConfigSchema>
export type RedisClusterAdapterConfig = Static<typeof RedisClusterAdapterConfigSchema>
export type AdapterConfig = RedisAdapterConfig | RedisClusterAdapterConfig

/** The schema of an adapter configuration of this `type` (for errors that name the offending field). */
export const adapterConfigSchema = (type: unknown): typeof RedisAdapterConfigSchema | typeof RedisClusterAdapterConfigSchema =>
  type === 'redis-cluster' ? RedisClusterAdapterConfigSchema : RedisAdapterConfigSchema

/** Whether the `adapter` option is a configuration (plain data) rather than an adapter instance. */
export function isAdapterConfig (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && 'type' in value && typeof (value as Partial<Adapter>).attach !== 'function'
}

/** The adapter the plugin uses, and whether the plugin owns (and so closes) it. */
export function createAdapter (option: Adapter | AdapterConfig | undefined, now: () => number, logger: AdapterLogger):
{ adapter: Adapter, owned: boolean } {
  if (option === undefined) return { adapter: new MemoryAdapter({ now }), owned: true }
  if (!isAdapterConfig(option)) return { adapter: option, owned: false }
  const { keyPrefix, nodeTtlSeconds, redis } = option
  const where = option.type === 'redis-cluster' ? { nodes: option.nodes } : { url: option.url }
  return { adapter: new RedisAdapter({ ...where, keyPrefix, nodeTtlSeconds, redis, logger }), owned: true }
}

/** `host:port,host:port` (BROADCASTT_REDIS_CLUSTER_NODES) → seed nodes, or why it is not that. */
export function parseClusterNodes (text: string): Array<{ host: string, port: number }> | string {
  const nodes: Array<{ host: string, port: number }> = []
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const match = /^(.+):(\d{1,5})$/.exec(part)
    const port = Number(match?.[2])
    if (match === null || port < 1 || port > 65535) return `expected host:port, got ${JSON.stringify(part)}`
    nodes.push({ host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port })
  }
  return nodes.length === 0 ? 'expected host:port,host:port' : nodes
}
