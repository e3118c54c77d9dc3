/**
 * soketi compatibility of the standalone server: its `SOKETI_*` environment variables (each mapped to the
 * variable of ours it stands for, or listed as not supported with why) and its JSON config file
 * (`appManager.array.apps` with soketi's field names), converted on load. docs/migrating.md holds the
 * same table for users; a test keeps the two equal.
 */
import { REDIS_DEFAULTS } from '../adapters/redis-options.js'

/** soketi's "no limit". */
const unlimited = (value: string): string => value.trim() === '-1' ? '0' : value
/** soketi counts some sizes in KB; ours are bytes. */
const kb = (value: string): string => /^\d+$/.test(value.trim()) ? String(Number(value) * 1024) : value
const debug = (value: string): string => /^(1|true|yes|on)$/i.test(value.trim()) ? 'debug' : 'info'

export interface SoketiVariable {
  readonly soketi: string
  /** Our variable it sets (when that one is not set itself); absent when not supported. */
  readonly ours?: string
  readonly convert?: (value: string) => string
  /** Why it is not supported, or what differs. */
  readonly note?: string
}

const limit = (soketi: string, ours: string, convert: (value: string) => string = unlimited, note?: string): SoketiVariable =>
  ({ soketi, ours: `BROADCASTT_LIMIT_${ours}`, convert, ...(note === undefined ? {} : { note }) })

const EVERY_APP = 'applies to every app'

export const SOKETI_VARIABLES: readonly SoketiVariable[] = [
  { soketi: 'SOKETI_PORT', ours: 'PORT' },
  { soketi: 'SOKETI_DEBUG', ours: 'LOG_LEVEL', convert: debug, note: '1 → debug, else info' },
  { soketi: 'SOKETI_PATH_PREFIX', ours: 'BROADCASTT_PREFIX' },
  { soketi: 'SOKETI_DEFAULT_APP_ID', ours: 'BROADCASTT_APP_ID' },
  { soketi: 'SOKETI_DEFAULT_APP_KEY', ours: 'BROADCASTT_APP_KEY' },
  { soketi: 'SOKETI_DEFAULT_APP_SECRET', ours: 'BROADCASTT_APP_SECRET' },
  { soketi: 'SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES', ours: 'BROADCASTT_APP_CLIENT_EVENTS' },
  limit('SOKETI_DEFAULT_APP_MAX_CONNS', 'MAX_CONNECTIONS', unlimited, `-1 → 0 (unlimited); ${EVERY_APP}`),
  limit('SOKETI_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SEC', 'BACKEND_EVENTS_PER_SECOND', unlimited, '-1 → 0 (unlimited)'),
  limit('SOKETI_DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SEC', 'CLIENT_EVENTS_PER_SECOND', unlimited, '-1 → 0 (unlimited)'),
  limit('SOKETI_DEFAULT_APP_MAX_READ_REQ_PER_SEC', 'READ_REQUESTS_PER_SECOND', unlimited, '-1 → 0 (unlimited)'),
  limit('SOKETI_DEFAULT_APP_MAX_PRESENCE_MEMBERS_PER_CHANNEL', 'PRESENCE_MEMBERS'),
  limit('SOKETI_DEFAULT_APP_MAX_PRESENCE_MEMBER_SIZE_IN_KB', 'PRESENCE_MEMBER_BYTES', kb, 'KB → bytes'),
  limit('SOKETI_DEFAULT_APP_MAX_CHANNEL_NAME_LENGTH', 'NAME_LENGTH', unlimited, 'one limit for channel and event names'),
  limit('SOKETI_DEFAULT_APP_MAX_EVENT_NAME_LENGTH', 'NAME_LENGTH', unlimited, 'one limit for channel and event names'),
  limit('SOKETI_DEFAULT_APP_MAX_EVENT_CHANNELS_AT_ONCE', 'CHANNELS_PER_TRIGGER'),
  limit('SOKETI_DEFAULT_APP_MAX_EVENT_PAYLOAD_IN_KB', 'EVENT_DATA_BYTES', kb, 'KB → bytes'),
  limit('SOKETI_DEFAULT_APP_MAX_EVENT_BATCH_SIZE', 'EVENTS_PER_BATCH'),
  limit('SOKETI_PRESENCE_MAX_MEMBERS', 'PRESENCE_MEMBERS'),
  limit('SOKETI_PRESENCE_MAX_MEMBER_SIZE', 'PRESENCE_MEMBER_BYTES', kb, 'KB → bytes'),
  limit('SOKETI_CHANNEL_LIMITS_MAX_NAME_LENGTH', 'NAME_LENGTH'),
  limit('SOKETI_EVENT_LIMITS_MAX_CHANNELS_AT_ONCE', 'CHANNELS_PER_TRIGGER'),
  limit('SOKETI_EVENT_LIMITS_MAX_NAME_LENGTH', 'NAME_LENGTH'),
  limit('SOKETI_EVENT_LIMITS_MAX_PAYLOAD_IN_KB', 'EVENT_DATA_BYTES', kb, 'KB → bytes'),
  limit('SOKETI_EVENT_LIMITS_MAX_BATCH_SIZE', 'EVENTS_PER_BATCH'),
  { soketi: 'SOKETI_SSL_CERT', ours: 'BROADCASTT_TLS_CERT' },
  { soketi: 'SOKETI_SSL_KEY', ours: 'BROADCASTT_TLS_KEY' },
  { soketi: 'SOKETI_SSL_PASS', ours: 'BROADCASTT_TLS_PASSPHRASE' },
  { soketi: 'SOKETI_SSL_CA', ours: 'BROADCASTT_TLS_CA' },
  { soketi: 'SOKETI_METRICS_ENABLED', ours: 'BROADCASTT_METRICS', note: 'metrics are on by default here' },
  { soketi: 'SOKETI_METRICS_SERVER_PORT', ours: 'BROADCASTT_METRICS_PORT' },
  { soketi: 'SOKETI_ADAPTER_DRIVER', note: 'redis → the Redis adapter (BROADCASTT_REDIS_URL built from SOKETI_DB_REDIS_*); local → the default; cluster and nats are refused at start: only Redis connects nodes here' },
  { soketi: 'SOKETI_DB_REDIS_HOST', note: 'with SOKETI_ADAPTER_DRIVER=redis: part of BROADCASTT_REDIS_URL' },
  { soketi: 'SOKETI_DB_REDIS_PORT', note: 'with SOKETI_ADAPTER_DRIVER=redis: part of BROADCASTT_REDIS_URL' },
  { soketi: 'SOKETI_DB_REDIS_DB', note: 'with SOKETI_ADAPTER_DRIVER=redis: part of BROADCASTT_REDIS_URL' },
  { soketi: 'SOKETI_DB_REDIS_USERNAME', note: 'with SOKETI_ADAPTER_DRIVER=redis: part of BROADCASTT_REDIS_URL' },
  { soketi: 'SOKETI_DB_REDIS_PASSWORD', note: 'with SOKETI_ADAPTER_DRIVER=redis: part of BROADCASTT_REDIS_URL' },
  { soketi: 'SOKETI_ADAPTER_REDIS_PREFIX', note: 'not supported as a variable: set `adapter.keyPrefix` in the config file (the key layout differs from soketi\'s anyway)' },
  { soketi: 'SOKETI_DB_REDIS_KEY_PREFIX', note: 'not supported as a variable: set `adapter.keyPrefix` in the config file' },
  { soketi: 'SOKETI_DEFAULT_APP_ENABLED', note: 'not supported: an app from the environment is always enabled' },
  { soketi: 'SOKETI_DEFAULT_APP_WEBHOOKS', note: 'not supported: declare webhooks in a config file (soketi\'s file format is accepted)' },
  { soketi: 'SOKETI_DEFAULT_APP_USER_AUTHENTICATION', note: 'not supported as a variable: the app option `authorizedConnections` closes connections that neither sign in nor join a private channel in time' },
  { soketi: 'SOKETI_USER_AUTHENTICATION_TIMEOUT', note: 'not supported as a variable: the app option `authorizationTimeout` (seconds)' },
  { soketi: 'SOKETI_SHUTDOWN_GRACE_PERIOD', note: 'not supported: the drain has its own settings, BROADCASTT_DRAIN_WINDOW_MS and BROADCASTT_SHUTDOWN_GRACE_MS' },
  { soketi: 'SOKETI_APP_MANAGER_DRIVER', note: 'array → the default; postgres → not supported as such: BROADCASTT_DATABASE_URL reads a table of its own layout (docs/apps.md); mysql and dynamodb are not supported' },
  { soketi: 'SOKETI_APP_MANAGER_CACHE_ENABLED', note: 'not supported as a variable: the `appCache` option of the config file' },
  { soketi: 'SOKETI_APP_MANAGER_CACHE_TTL', note: 'not supported as a variable: the `appCache` option of the config file' },
  { soketi: 'SOKETI_QUEUE_DRIVER', note: 'not supported: webhooks queue in memory, or in Redis streams on the Redis adapter, without a setting' },
  { soketi: 'SOKETI_RATE_LIMITER_DRIVER', note: 'not supported: rates are counted in memory, or across the cluster on the Redis adapter, without a setting' },
  { soketi: 'SOKETI_METRICS_PREFIX', note: 'not supported: metric names are fixed (broadcastt_*, docs/operations.md)' },
  { soketi: 'SOKETI_METRICS_DRIVER', note: 'not supported: Prometheus only' },
  { soketi: 'SOKETI_HTTP_MAX_REQUEST_SIZE', note: 'not supported as a variable: `rest.bodyLimit` (bytes) in the config file' },
  { soketi: 'SOKETI_CORS_ORIGINS', note: 'not supported: the REST API is signed and called by servers; browsers connect over WebSocket (the app option `allowedOrigins`)' },
  { soketi: 'SOKETI_MODE', note: 'not supported: every node serves both WebSocket and REST' }
]

/** soketi's variables set in `env` that were not applied, for a start-up notice (names only, never values). */
export interface SoketiEnv {
  env: NodeJS.ProcessEnv
  ignored: string[]
  refused: string | undefined
  /** Our variable → the soketi variable its value came from, so an error names what the user set. */
  origins: Record<string, string>
}

/** soketi's Redis defaults are ours: the host and port of the adapter's default URL. */
const DEFAULT_REDIS = new URL(REDIS_DEFAULTS.url)

function redisUrl (env: NodeJS.ProcessEnv): string {
  const user = env.SOKETI_DB_REDIS_USERNAME ?? ''
  const password = env.SOKETI_DB_REDIS_PASSWORD ?? ''
  const auth = user === '' && password === '' ? '' : `${encodeURIComponent(user)}:${encodeURIComponent(password)}@`
  return `redis://${auth}${env.SOKETI_DB_REDIS_HOST ?? DEFAULT_REDIS.hostname}:${env.SOKETI_DB_REDIS_PORT ?? DEFAULT_REDIS.port}/${env.SOKETI_DB_REDIS_DB ?? '0'}`
}

/**
 * The environment with soketi's variables translated into ours. A variable of ours that is set wins over the
 * soketi variable standing for it.
 */
export function soketiEnv (env: NodeJS.ProcessEnv): SoketiEnv {
  const out: NodeJS.ProcessEnv = { ...env }
  const origins: Record<string, string> = {}
  let from = ''
  const set = (name: string, value: string): void => {
    if (out[name] !== undefined && out[name] !== '') return
    out[name] = value
    origins[name] = from
  }
  const driver = env.SOKETI_ADAPTER_DRIVER?.trim()
  /** Read as parts of another variable's value, not on their own. */
  const parts = new Set(['SOKETI_ADAPTER_DRIVER', 'SOKETI_APP_MANAGER_DRIVER',
    ...(driver === 'redis' ? ['HOST', 'PORT', 'DB', 'USERNAME', 'PASSWORD'].map((p) => `SOKETI_DB_REDIS_${p}`) : [])])
  const ignored: string[] = []
  let refused: string | undefined
  for (const v of SOKETI_VARIABLES) {
    const value = env[v.soketi]
    if (value === undefined || value === '') continue
    from = v.soketi
    if (v.ours !== undefined) set(v.ours, (v.convert ?? String)(value))
    else if (!parts.has(v.soketi)) ignored.push(v.soketi)
  }
  from = 'SOKETI_DB_REDIS_*'
  if (driver === 'redis') set('BROADCASTT_REDIS_URL', redisUrl(env))
  else if (driver !== undefined && driver !== '' && driver !== 'local') {
    refused = `SOKETI_ADAPTER_DRIVER: "${driver.slice(0, 20)}" is not supported: only Redis connects nodes here (SOKETI_ADAPTER_DRIVER=redis or BROADCASTT_REDIS_URL)`
  }
  const apps = env.SOKETI_APP_MANAGER_DRIVER?.trim()
  if (apps !== undefined && apps !== '' && apps !== 'array') {
    refused ??= `SOKETI_APP_MANAGER_DRIVER: "${apps.slice(0, 20)}" is not supported: configure apps with a config file, BROADCASTT_APP_* or BROADCASTT_DATABASE_URL (docs/migrating.md)`
  }
  return { env: out, ignored, refused, origins }
}

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/** soketi reads its config keys dotted (`"appManager.array.apps"`) or nested; both are looked up. */
function lookup (config: Json, path: string): unknown {
  if (path in config) return config[path]
  let node: unknown = config
  for (const part of path.split('.')) node = isObject(node) ? node[part] : undefined
  return node
}

/** Whether a config file is in soketi's format rather than ours. */
export function isSoketiConfig (config: Json): boolean {
  return Object.keys(config).some((key) => key.includes('.')) || isObject(config.appManager) ||
    ['debug', 'port', 'pathPrefix', 'database', 'eventLimits', 'presence', 'ssl'].some((key) => key in config)
}

/** A soketi number (a string is accepted, as soketi does); `-1` and other negatives mean no limit → 0. */
const number = (value: unknown, where: string): number | undefined => {
  if (value === undefined || value === null || value === '') return undefined
  const n = typeof value === 'number' || typeof value === 'string' ? Number(value) : NaN
  if (!Number.isFinite(n)) throw new Error(`${where}: expected a number`)
  return n < 0 ? 0 : n
}

/** soketi app fields → our limits (`-1` → 0, sizes in KB → bytes). */
const APP_LIMITS: ReadonlyArray<[string, string, number]> = [
  ['maxConnections', 'maxConnections', 1],
  ['maxBackendEventsPerSecond', 'backendEventsPerSecond', 1],
  ['maxClientEventsPerSecond', 'clientEventsPerSecond', 1],
  ['maxReadRequestsPerSecond', 'readRequestsPerSecond', 1],
  ['maxPresenceMembersPerChannel', 'presenceMembers', 1],
  ['maxPresenceMemberSizeInKb', 'presenceMemberBytes', 1024],
  ['maxChannelNameLength', 'nameLength', 1],
  ['maxEventChannelsAtOnce', 'channelsPerTrigger', 1],
  ['maxEventPayloadInKb', 'eventDataBytes', 1024],
  ['maxEventBatchSize', 'eventsPerBatch', 1]
]

function convertWebhook (hook: unknown, where: string): Json {
  if (!isObject(hook)) throw new Error(`${where}: expected an object`)
  if (hook.url === undefined && (hook.lambda !== undefined || hook.lambda_function !== undefined)) {
    throw new Error(`${where}: AWS Lambda webhooks are not supported; give an http(s) url`)
  }
  const filter = isObject(hook.filter) ? hook.filter : undefined
  const starts = filter?.channel_name_starts_with
  const ends = filter?.channel_name_ends_with
  return {
    url: hook.url,
    eventTypes: hook.event_types ?? hook.eventTypes,
    ...(isObject(hook.headers) ? { headers: hook.headers } : {}),
    ...(starts !== undefined || ends !== undefined
      ? { filter: { ...(starts === undefined ? {} : { channelNameStartsWith: starts }), ...(ends === undefined ? {} : { channelNameEndsWith: ends }) } }
      : {})
  }
}

function convertApp (app: unknown, where: string): unknown {
  if (!isObject(app)) return app
  const limits: Json = {}
  for (const [theirs, ours, scale] of APP_LIMITS) {
    const n = number(app[theirs], `${where}.${theirs}`)
    if (n !== undefined) limits[ours] = n * scale
  }
  const hooks = Array.isArray(app.webhooks) ? app.webhooks.map((hook, i) => convertWebhook(hook, `${where}.webhooks.${i}`)) : undefined
  return {
    id: app.id === undefined ? undefined : String(app.id),
    key: app.key,
    secret: app.secret,
    ...(typeof app.enabled === 'boolean' ? { enabled: app.enabled } : {}),
    ...(typeof app.enableClientMessages === 'boolean' ? { clientEvents: app.enableClientMessages } : {}),
    ...(typeof app.enableUserAuthentication === 'boolean' ? { authorizedConnections: app.enableUserAuthentication } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(hooks === undefined ? {} : { webhooks: hooks })
  }
}

/** What a soketi config file sets: plugin options, plus the server settings it carries. */
export interface ConvertedConfig {
  options: Json
  /** Values of our environment variables the file stands for (used when neither a flag nor the variable is set). */
  env: Record<string, string>
  /** Keys of the file that have no equivalent here. */
  ignored: string[]
  /** Our variable → the key of the file its value came from. */
  origins: Record<string, string>
}

const SOKETI_KEYS: ReadonlyArray<[string, string, (value: unknown) => string]> = [
  ['port', 'PORT', String],
  ['debug', 'LOG_LEVEL', (v) => v === true || v === 1 || v === '1' || v === 'true' ? 'debug' : 'info'],
  ['pathPrefix', 'BROADCASTT_PREFIX', String],
  ['metrics.enabled', 'BROADCASTT_METRICS', String],
  ['metrics.port', 'BROADCASTT_METRICS_PORT', String],
  ['ssl.certPath', 'BROADCASTT_TLS_CERT', String],
  ['ssl.keyPath', 'BROADCASTT_TLS_KEY', String],
  ['ssl.passphrase', 'BROADCASTT_TLS_PASSPHRASE', String],
  ['ssl.caPath', 'BROADCASTT_TLS_CA', String]
]

/** A soketi config file in our options; throws a message naming the offending key. */
export function convertSoketiConfig (config: Json): ConvertedConfig {
  const options: Json = {}
  const env: Record<string, string> = {}
  const origins: Record<string, string> = {}
  const apps = lookup(config, 'appManager.array.apps')
  if (apps !== undefined) {
    if (!Array.isArray(apps)) throw new Error('appManager.array.apps: expected an array')
    options.apps = apps.map((app, i) => convertApp(app, `appManager.array.apps.${i}`))
  }
  for (const [key, name, convert] of SOKETI_KEYS) {
    const value = lookup(config, key)
    if (value === undefined || value === null || value === '') continue
    env[name] = convert(value)
    origins[name] = key
  }
  const driver = lookup(config, 'adapter.driver')
  if (driver === 'redis') {
    const redis = lookup(config, 'database.redis')
    const r = isObject(redis) ? redis : {}
    origins.BROADCASTT_REDIS_URL = 'database.redis'
    env.BROADCASTT_REDIS_URL = redisUrl({
      SOKETI_DB_REDIS_HOST: r.host as string | undefined,
      SOKETI_DB_REDIS_PORT: r.port === undefined ? undefined : String(r.port),
      SOKETI_DB_REDIS_DB: r.db === undefined ? undefined : String(r.db),
      SOKETI_DB_REDIS_USERNAME: r.username as string | undefined,
      SOKETI_DB_REDIS_PASSWORD: r.password as string | undefined
    })
    const prefix = lookup(config, 'adapter.redis.prefix') ?? r.keyPrefix
    if (typeof prefix === 'string' && prefix !== '') options.adapter = { type: 'redis', keyPrefix: prefix }
  } else if (driver !== undefined && driver !== 'local') {
    throw new Error(`adapter.driver: "${String(driver).slice(0, 20)}" is not supported: only Redis connects nodes here`)
  }
  const bodyMb = number(lookup(config, 'httpApi.requestLimitInMb'), 'httpApi.requestLimitInMb')
  if (bodyMb !== undefined) options.rest = { bodyLimit: Math.max(1024, Math.round(bodyMb * 1024 * 1024)) }
  const known = new Set(['appManager', 'appManager.array.apps', 'adapter', 'httpApi', 'metrics', 'ssl',
    ...(driver === 'redis' ? ['database'] : []),
    ...SOKETI_KEYS.map(([key]) => key)])
  const ignored = Object.keys(config).filter((key) => !known.has(key) && !known.has(key.split('.')[0] ?? ''))
  return { options, env, ignored, origins }
}
