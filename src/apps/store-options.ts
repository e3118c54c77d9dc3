/**
 * The options of apps loaded at run time (docs/apps.md): `appStore` — the PostgreSQL store the plugin owns
 * (`{ type: 'postgres', url, table? }`), or a host object with `byKey` / `byId` — and `appCache`, the bounds
 * of the lookup cache in front of it.
 */
import { Type, type Static } from '@sinclair/typebox'
import { InvalidOptionsError } from '../errors.js'

/** The table the PostgreSQL store reads when none is named (sql/broadcastt_apps.sql creates it). */
export const DEFAULT_APP_TABLE = 'broadcastt_apps'

export const PostgresAppStoreSchema = Type.Object({
  type: Type.Literal('postgres'),
  url: Type.String({
    pattern: '^postgres(ql)?://\\S+$',
    description: 'postgres:// connection URL (libpq parameters such as sslmode in its query string)'
  }),
  table: Type.String({
    // The table name also names its trigger, function and NOTIFY channel, which PostgreSQL caps at 63 bytes.
    pattern: '^[a-z_][a-z0-9_]{0,47}$',
    default: DEFAULT_APP_TABLE,
    description: 'Table of the apps, created with its trigger when missing (lower case, up to 48 characters; ' +
      'another schema: set search_path in the URL\'s options)'
  }),
  poolSize: Type.Integer({ minimum: 1, maximum: 100, default: 4, description: 'Connections of the lookup pool' })
}, { additionalProperties: false })

export type PostgresAppStoreConfig = Static<typeof PostgresAppStoreSchema>

/** Bounds of the app cache (docs/apps.md, "The cache"). */
export const APP_CACHE_DEFAULTS = Object.freeze({
  /** Milliseconds a loaded app is served before the next use reloads it in the background (it is served meanwhile). */
  ttlMs: 60_000,
  /** Apps kept per node; the least recently loaded goes first. */
  maxApps: 10_000,
  /** Milliseconds a key or id the store does not know is answered as unknown without asking again. */
  unknownTtlMs: 10_000,
  /** Unknown keys and ids remembered per node. */
  maxUnknown: 10_000,
  /** Store queries per second per node for keys and ids not in the cache; over it they are answered as unknown. */
  lookupsPerSecond: 200
})

const count = (description: string, fallback: number, minimum = 1) =>
  Type.Integer({ minimum, default: fallback, description })

export const AppCacheSchema = Type.Object({
  ttlMs: count('Milliseconds a loaded app is served before it is reloaded in the background', APP_CACHE_DEFAULTS.ttlMs),
  maxApps: count('Apps kept in the cache per node', APP_CACHE_DEFAULTS.maxApps),
  unknownTtlMs: count('Milliseconds an unknown key or id is answered without asking the store', APP_CACHE_DEFAULTS.unknownTtlMs, 0),
  maxUnknown: count('Unknown keys and ids remembered per node', APP_CACHE_DEFAULTS.maxUnknown, 0),
  lookupsPerSecond: count('Store queries per second per node for keys and ids not cached (over it: unknown)',
    APP_CACHE_DEFAULTS.lookupsPerSecond)
}, { additionalProperties: false, default: {} })

export type AppCacheOptions = Static<typeof AppCacheSchema>

/** `{ type: 'postgres', url, table?, poolSize? }` as the plugin accepts it. */
export type PostgresAppStoreConfigInput = Pick<PostgresAppStoreConfig, 'type' | 'url'> & Partial<PostgresAppStoreConfig>

/** Why `value` is not a host store (an object with `byKey` and `byId` functions), or undefined. */
function hostStoreProblem (value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'Expected { type: \'postgres\', url } or an object with byKey and byId'
  const store = value as Record<string, unknown>
  for (const name of ['byKey', 'byId']) {
    if (typeof store[name] !== 'function') return `${name}: Expected function`
  }
  if (store.list !== undefined && typeof store.list !== 'function') return 'list: Expected function'
  return undefined
}

/**
 * The `appStore` option as data for the options schema: a configuration (`{ type, ... }`) as it is,
 * undefined for none or for the host's own store, which must have `byKey` and `byId` (else it throws naming `path`).
 */
export function appStoreData (value: unknown, path: string): unknown {
  if (value === undefined) return undefined
  if (typeof value === 'object' && value !== null && 'type' in value && typeof (value as { byKey?: unknown }).byKey !== 'function') {
    return value
  }
  const problem = hostStoreProblem(value)
  if (problem !== undefined) throw new InvalidOptionsError(`${path}: ${problem}`)
  return undefined
}
