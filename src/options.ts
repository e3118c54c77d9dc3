/**
 * The plugin's options: one TypeBox schema, one frozen defaults table, validated at register time.
 * A bad option throws one coded error naming the path (`options.apps[0].secret: Expected string`).
 */
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { DIALECT_NAMES, type DialectName } from './protocol/dialect.js'
import { InvalidOptionsError } from './errors.js'
import type { Adapter } from './adapters/adapter.js'
import type { RedisOptions } from 'ioredis'
import { AdapterConfigSchema, adapterConfigSchema, isAdapterConfig, type AdapterConfig } from './adapters/config.js'
import { redisOptionsProblem } from './adapters/redis-options.js'
import type { AuthorizeOptions } from './authorize/options.js'
import type { AppStore } from './apps/app-store.js'
import {
  AppCacheSchema, appStoreData, PostgresAppStoreSchema, type AppCacheOptions, type PostgresAppStoreConfigInput
} from './apps/store-options.js'
import { checkConsoleOptions, ConsoleSchema, type ConsoleOptions } from './console/options.js'

/** Per-app limits (PROTOCOL.md §12) and their defaults. */
export const LIMIT_DEFAULTS = Object.freeze({
  /** Connections of the app on this server; 0 = unlimited. */
  maxConnections: 0,
  /** Client events a connection may send per second; 0 = unlimited. */
  clientEventsPerSecond: 10,
  /** Backend (REST and programmatic) events per second; 0 = unlimited. */
  backendEventsPerSecond: 0,
  /** Channels one triggered event may name. */
  channelsPerTrigger: 100,
  /** Events in one batch trigger. */
  eventsPerBatch: 10,
  /** Bytes of one event's `data`. */
  eventDataBytes: 10 * 1024,
  /** Characters of an event or channel name. */
  nameLength: 200,
  /** Members of one presence channel. */
  presenceMembers: 100,
  /** Bytes of one presence member's `channel_data` (or, for a signed-in member, its serialized `user_info`). */
  presenceMemberBytes: 1024,
  /** Channels one connection may be subscribed to. */
  channelsPerConnection: 1000,
  /** Bytes of one inbound WebSocket frame: the event data limit plus 2 KB of envelope. */
  frameBytes: 12 * 1024,
  /** Seconds a cache channel keeps its last event. */
  cacheTtlSeconds: 30 * 60,
  /** User ids one sign-in's watchlist may name; the rest are dropped with error 4302. */
  watchlistSize: 100,
  /** Seconds a signed REST request's `auth_timestamp` may differ from the server's clock. */
  authTimestampWindowSeconds: 600,
  /** Signed REST read (GET) requests of the app per second; 0 = unlimited. */
  readRequestsPerSecond: 0,
  /** Inbound frames of every kind a connection may send per second, sustained (docs/hardening.md); 0 = unlimited. */
  framesPerSecond: 20,
  /** Frames a connection may send at once beyond its rate, on top of resubscribing to `channelsPerConnection` channels. */
  frameBurst: 100
})

const count = (description: string, fallback: number) =>
  Type.Integer({ minimum: 0, default: fallback, description })

export const LimitsSchema = Type.Object({
  maxConnections: count('Connections of the app on this server; 0 = unlimited', LIMIT_DEFAULTS.maxConnections),
  clientEventsPerSecond: count('Client events per connection per second; 0 = unlimited', LIMIT_DEFAULTS.clientEventsPerSecond),
  backendEventsPerSecond: count('Backend events per second; 0 = unlimited', LIMIT_DEFAULTS.backendEventsPerSecond),
  channelsPerTrigger: count('Channels one event may name', LIMIT_DEFAULTS.channelsPerTrigger),
  eventsPerBatch: count('Events in one batch', LIMIT_DEFAULTS.eventsPerBatch),
  eventDataBytes: count('Bytes of event data', LIMIT_DEFAULTS.eventDataBytes),
  nameLength: count('Characters of event and channel names', LIMIT_DEFAULTS.nameLength),
  presenceMembers: count('Members per presence channel', LIMIT_DEFAULTS.presenceMembers),
  presenceMemberBytes: count('Bytes of a presence member\'s channel_data', LIMIT_DEFAULTS.presenceMemberBytes),
  channelsPerConnection: count('Channels per connection', LIMIT_DEFAULTS.channelsPerConnection),
  frameBytes: count('Bytes of an inbound WebSocket frame', LIMIT_DEFAULTS.frameBytes),
  cacheTtlSeconds: count('Seconds a cache channel keeps its last event', LIMIT_DEFAULTS.cacheTtlSeconds),
  watchlistSize: count('User ids a sign-in\'s watchlist may name (the rest are dropped, 4302)', LIMIT_DEFAULTS.watchlistSize),
  authTimestampWindowSeconds: count('Seconds a REST request\'s auth_timestamp may differ from the server clock',
    LIMIT_DEFAULTS.authTimestampWindowSeconds),
  readRequestsPerSecond: count('Signed REST GET requests per second (over it: 429 with Retry-After); 0 = unlimited',
    LIMIT_DEFAULTS.readRequestsPerSecond),
  framesPerSecond: count('Inbound frames of any kind per connection per second (over it: error 4303, then close 4100); 0 = unlimited',
    LIMIT_DEFAULTS.framesPerSecond),
  frameBurst: count('Frames a connection may send at once beyond its rate, on top of channelsPerConnection', LIMIT_DEFAULTS.frameBurst)
}, { additionalProperties: false, default: {} })

/** Hub events a webhook can ask for (PROTOCOL.md §11). */
export const WEBHOOK_EVENT_TYPES = ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed',
  'client_event', 'cache_miss', 'subscription_count'] as const
export type WebhookEventType = typeof WEBHOOK_EVENT_TYPES[number]

export const WebhookSchema = Type.Object({
  url: Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2048, description: 'http(s) URL the events are POSTed to' }),
  eventTypes: Type.Array(Type.Union(WEBHOOK_EVENT_TYPES.map((e) => Type.Literal(e))), {
    minItems: 1, uniqueItems: true, description: 'The event types sent to this URL'
  }),
  filter: Type.Optional(Type.Object({
    channelNameStartsWith: Type.Optional(Type.String({ minLength: 1 })),
    channelNameEndsWith: Type.Optional(Type.String({ minLength: 1 }))
  }, { additionalProperties: false, description: 'Only events of channels whose name matches' })),
  headers: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$' }),
    // A value with a control character (CR, LF, NUL, …) would make every delivery fail: refused at start.
    Type.String({ pattern: '^[\\t\\x20-\\x7e\\x80-\\xff]*$' }), {
      additionalProperties: false,
      description: 'Extra request headers (the signature, key and content-type headers cannot be overridden)'
    }))
}, { additionalProperties: false })

/** Delivery knobs shared by every app's webhooks (docs/webhooks.md). */
export const WEBHOOK_DEFAULTS = Object.freeze({
  /** Milliseconds events of one app are gathered into one request. */
  batchMs: 50,
  /** Events in one request at most. */
  batchSize: 100,
  /** Milliseconds channel_vacated, member_removed and a falling subscription_count wait for their opposite. */
  debounceMs: 3000,
  /** Milliseconds one request may take (connect, headers and body). */
  timeoutMs: 10_000,
  /** Milliseconds after its first attempt a delivery is given up (logged, counted as failed). */
  retryHorizonMs: 5 * 60_000,
  /** First retry delay; doubled per attempt, with full jitter, up to retryMaxDelayMs. */
  retryBaseDelayMs: 1000,
  retryMaxDelayMs: 60_000,
  /** Requests of one app in flight at once (per node). */
  inFlightPerApp: 4,
  /** Deliveries of one app waiting or retrying at once (per node; per app stream with Redis); more overflow. */
  queueLimitPerApp: 1000,
  /** Bytes of a receiver's answer that are read (then discarded); a longer answer closes the connection. */
  responseBytes: 1024,
  /** Milliseconds `close()` keeps sending what is due before it leaves the rest in the queue. */
  closeTimeoutMs: 2000,
  /** With Redis: milliseconds an entry of a silent consumer (a dead node) waits before another node takes it. */
  claimIdleMs: 30_000
})

const ms = (description: string, fallback: number, minimum = 1) =>
  Type.Integer({ minimum, default: fallback, description })

export const WebhookDeliverySchema = Type.Object({
  batchMs: ms('Milliseconds events of one app are gathered into one request', WEBHOOK_DEFAULTS.batchMs),
  batchSize: ms('Events in one request at most', WEBHOOK_DEFAULTS.batchSize),
  debounceMs: ms('Milliseconds channel_vacated/member_removed wait for their opposite', WEBHOOK_DEFAULTS.debounceMs, 0),
  timeoutMs: ms('Milliseconds one request may take', WEBHOOK_DEFAULTS.timeoutMs),
  retryHorizonMs: ms('Milliseconds after the first attempt a delivery is given up', WEBHOOK_DEFAULTS.retryHorizonMs, 0),
  retryBaseDelayMs: ms('First retry delay (doubled per attempt, with jitter)', WEBHOOK_DEFAULTS.retryBaseDelayMs),
  retryMaxDelayMs: ms('Longest retry delay', WEBHOOK_DEFAULTS.retryMaxDelayMs),
  inFlightPerApp: ms('Requests of one app in flight at once', WEBHOOK_DEFAULTS.inFlightPerApp),
  queueLimitPerApp: ms('Deliveries of one app queued at once; more overflow', WEBHOOK_DEFAULTS.queueLimitPerApp),
  responseBytes: ms('Bytes of a receiver\'s answer read, then discarded', WEBHOOK_DEFAULTS.responseBytes, 0),
  closeTimeoutMs: ms('Milliseconds close() keeps delivering', WEBHOOK_DEFAULTS.closeTimeoutMs, 0),
  claimIdleMs: ms('With Redis: idle milliseconds before a dead node\'s entries are taken over', WEBHOOK_DEFAULTS.claimIdleMs)
}, { additionalProperties: false, default: {} })

export const AppSchema = Type.Object({
  id: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_\\-.]+$', description: 'App id, used in REST paths' }),
  key: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_\\-.]+$', description: 'Public key, used by clients' }),
  secret: Type.String({ minLength: 1, description: 'Secret for signatures; never sent to clients' }),
  name: Type.Optional(Type.String()),
  enabled: Type.Boolean({ default: true }),
  clientEvents: Type.Boolean({ default: false, description: 'Allow client- events on private and presence channels' }),
  dialects: Type.Array(Type.Union(DIALECT_NAMES.map((d) => Type.Literal(d))), {
    minItems: 1, uniqueItems: true, default: [...DIALECT_NAMES]
  }),
  allowedOrigins: Type.Optional(Type.Array(Type.String(), { description: 'Origins allowed to connect; all when absent' })),
  authorizedConnections: Type.Boolean({
    default: false,
    description: 'Close (4009) connections that neither sign in nor join a private, encrypted or presence channel in time'
  }),
  authorizationTimeout: Type.Integer({
    minimum: 1, default: 30, description: 'Seconds a connection has to get authorized when authorizedConnections is on'
  }),
  watchlist: Type.Boolean({ default: false, description: 'Send watchlist_events about the users named in a sign-in\'s watchlist' }),
  subscriptionCountEvents: Type.Boolean({
    default: false,
    description: 'Send a channel\'s subscribers pusher_internal:subscription_count ({"subscription_count":N}, cluster-wide) ' +
      'when its count changes, at most once per subscriptionCountIntervalMs; not on presence channels (docs/channels.md)'
  }),
  encryptionMasterKey: Type.Optional(Type.String({
    pattern: '^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$',
    description: '32 bytes in base64 (the Pusher SDKs\' encryptionMasterKeyBase64): each encrypted channel\'s shared_secret is derived from it'
  })),
  limits: LimitsSchema,
  webhooks: Type.Array(WebhookSchema, { default: [], description: 'Where to POST the app\'s webhooks (docs/webhooks.md)' })
}, { additionalProperties: false })

/** The signed REST API (PROTOCOL.md §9) and its OpenAPI document. */
export const RestSchema = Type.Object({
  bodyLimit: Type.Integer({
    minimum: 1024,
    default: 1024 * 1024,
    description: 'Bytes of a REST request body; larger bodies get 413. The default, 1 MiB, fits a full batch ' +
      '(10 events of 10 KB) many times over while bounding what an unauthenticated request can make the server read'
  }),
  openapi: Type.Boolean({
    default: false,
    description: 'Serve the OpenAPI 3.1 document at GET {prefix}/openapi.json and its 3.0.3 rendering at ' +
      'GET {prefix}/openapi-3.0.json. Off in the plugin so it never takes a route of the host; on in the standalone server'
  }),
  docs: Type.Boolean({
    default: false,
    description: 'Serve the human-readable API reference at GET {prefix}/docs (implies openapi). Off in the plugin, ' +
      'on in the standalone server'
  })
}, { additionalProperties: false, default: {} })

/** Graceful shutdown (`fastify.close()`): how connections are told to reconnect elsewhere. */
export const ShutdownSchema = Type.Object({
  drainWindowMs: Type.Integer({
    minimum: 0,
    default: 5000,
    description: 'Milliseconds over which open connections get their 4200 close, in slices, so clients do not all ' +
      'reconnect to the next node in the same instant; 0 closes them all at once'
  }),
  graceMs: Type.Integer({
    minimum: 0,
    default: 2000,
    description: 'Milliseconds a client has to answer its close frame before its socket is cut'
  })
}, { additionalProperties: false, default: {} })

/** Prometheus metrics (prom-client). */
export const MetricsSchema = Type.Object({
  enabled: Type.Boolean({ default: false, description: 'Collect Prometheus metrics' }),
  endpoint: Type.Boolean({
    default: true,
    description: 'Serve them at GET {prefix}/metrics; false to serve fastify.broadcastt.metrics() yourself'
  }),
  appLabels: Type.Integer({
    minimum: 0,
    default: 50,
    description: 'Apps (in configuration order) that get their own "app" label value; the others share app="other"'
  }),
  defaultMetrics: Type.Boolean({ default: true, description: 'Include the Node process metrics (CPU, memory, event-loop lag, GC)' })
}, { additionalProperties: false, default: {} })

export const OptionsSchema = Type.Object({
  apps: Type.Array(AppSchema, { description: 'The apps this server serves (static; an appStore may serve more)' }),
  prefix: Type.String({ default: '', pattern: '^(/[^/?#]+)*$', description: 'Path prefix of every route' }),
  activityTimeout: Type.Integer({
    minimum: 1, default: 120, description: 'Seconds without activity before the server pings (sent to clients)'
  }),
  pongTimeout: Type.Integer({ minimum: 1, default: 30, description: 'Seconds to wait for a pong before closing 4201' }),
  adapterTimeoutMs: Type.Integer({
    minimum: 1,
    default: 5000,
    description: 'Milliseconds an adapter call a client waits on may take; then a subscribe gets subscription_error 500'
  }),
  maxConnections: Type.Integer({ minimum: 0, default: 0, description: 'Connections on this server; 0 = unlimited' }),
  subscriptionCountIntervalMs: Type.Integer({
    minimum: 10,
    default: 1000,
    description: 'Milliseconds over which a channel\'s subscription count changes are gathered into one ' +
      'subscription_count event (apps with subscriptionCountEvents)'
  }),
  maxBufferedBytes: Type.Integer({
    minimum: 1024, default: 4 * 1024 * 1024, description: 'Unsent bytes a connection may hold before it is closed 4100'
  }),
  maxConnectionsPerIp: Type.Integer({
    minimum: 0,
    default: 0,
    description: 'Connections from one client address (Fastify\'s request.ip, so trustProxy applies); over it: 4100. 0 = unlimited'
  }),
  health: Type.Boolean({ default: false, description: 'Serve GET {prefix}/health (liveness) and GET {prefix}/ready (readiness)' }),
  metrics: MetricsSchema,
  shutdown: ShutdownSchema,
  rest: RestSchema,
  webhookDelivery: WebhookDeliverySchema,
  console: ConsoleSchema,
  adapter: Type.Optional(AdapterConfigSchema),
  appStore: Type.Optional(PostgresAppStoreSchema),
  appCache: AppCacheSchema
}, { additionalProperties: false })

export type AppConfig = Static<typeof AppSchema>
export type AppLimits = Static<typeof LimitsSchema>
export type ResolvedOptions = Static<typeof OptionsSchema>
export type RestOptions = Static<typeof RestSchema>
export type MetricsOptions = Static<typeof MetricsSchema>
export type ShutdownOptions = Static<typeof ShutdownSchema>
export type WebhookConfig = Static<typeof WebhookSchema>
export type WebhookDeliveryOptions = Static<typeof WebhookDeliverySchema>

/** What `fastify.register(broadcastt, options)` accepts: every defaulted field may be left out. */
export interface BroadcasttOptions {
  /** Static apps. Required unless `appStore` is given; a static app wins over a store's app with its id or key. */
  apps?: AppInput[]
  prefix?: string
  activityTimeout?: number
  pongTimeout?: number
  /** Milliseconds an adapter call a client or request waits on may take (default 5000). */
  adapterTimeoutMs?: number
  maxConnections?: number
  /** Milliseconds over which subscription count changes make one `subscription_count` event (default 1000). */
  subscriptionCountIntervalMs?: number
  maxBufferedBytes?: number
  maxConnectionsPerIp?: number
  health?: boolean
  metrics?: Partial<MetricsOptions>
  shutdown?: Partial<ShutdownOptions>
  rest?: Partial<RestOptions>
  /** How webhooks are batched, retried and bounded (docs/webhooks.md). */
  webhookDelivery?: Partial<WebhookDeliveryOptions>
  /** Timer source of the liveness checks; tests pass a fake clock. Defaults to the global timers. */
  clock?: Clock
  /**
   * The adapter that moves messages and shared state between nodes (docs/scaling.md). An instance is owned
   * by the host: the plugin attaches its hub to it and never closes it. `{ type: 'redis', url, ... }` or
   * `{ type: 'redis-cluster', nodes, ... }` makes the plugin create (and close) a Redis adapter. Default: a
   * memory adapter (one node).
   */
  adapter?: Adapter | AdapterConfig
  /** Channel authorization and user authentication routes served in-process (docs/embedding.md). */
  authorize?: AuthorizeOptions
  /** Apps looked up at run time: a PostgreSQL table the plugin reads, or the host's own store (docs/apps.md). */
  appStore?: AppStore | PostgresAppStoreConfigInput
  /** Bounds of the cache in front of `appStore`: TTL, sizes, store queries per second (docs/apps.md). */
  appCache?: Partial<AppCacheOptions>
  /** The debug console in the browser, off by default (docs/console.md). */
  console?: Partial<ConsoleOptions>
}

export interface AppInput {
  id: string
  key: string
  secret: string
  name?: string
  enabled?: boolean
  clientEvents?: boolean
  dialects?: DialectName[]
  allowedOrigins?: string[]
  authorizedConnections?: boolean
  authorizationTimeout?: number
  watchlist?: boolean
  /** Send subscribers `pusher_internal:subscription_count` when a channel's count changes (docs/channels.md). */
  subscriptionCountEvents?: boolean
  /** 32 bytes in base64, as the Pusher SDKs' `encryptionMasterKeyBase64`; needed to authorize encrypted channels. */
  encryptionMasterKey?: string
  limits?: Partial<AppLimits>
  /** Where to POST the app's webhooks (docs/webhooks.md). */
  webhooks?: WebhookConfig[]
}

export interface Clock {
  now(): number
  setInterval(fn: () => void, ms: number): unknown
  clearInterval(timer: never): void
}

/**
 * Top-level options whose values are the host's own objects and callbacks (instances, functions): they are
 * taken as given, never cloned or checked by the schema. Everything else must be plain data.
 */
export const HOST_VALUES = ['clock', 'adapter', 'authorize', 'appStore'] as const

/**
 * The first value in `input` that is not plain data — a function (a misspelled callback option), a symbol,
 * a bigint or a cycle — as a message naming its path; undefined when there is none.
 */
function notData (input: unknown, path: string, seen: Set<object> = new Set()): string | undefined {
  const at = path === '' ? '(root)' : path
  if (typeof input === 'function') return `${at}: Unexpected function (callbacks are accepted only as ${HOST_VALUES.join(', ')})`
  if (typeof input === 'symbol' || typeof input === 'bigint') return `${at}: Unexpected ${typeof input}`
  if (typeof input !== 'object' || input === null) return undefined
  if (seen.has(input)) return `${at}: Unexpected circular reference`
  seen.add(input)
  const entries: Array<[string, unknown]> = Array.isArray(input)
    ? input.map((item, i) => [`[${i}]`, item])
    : Object.entries(input).map(([key, item]) => [path === '' ? key : `.${key}`, item])
  for (const [key, item] of entries) {
    const problem = notData(item, path + key, seen)
    if (problem !== undefined) return problem
  }
  seen.delete(input)
  return undefined
}

/** Why a webhook's URL cannot be used (never echoing it: it may hold credentials), or undefined. */
function webhookUrlProblem (hook: WebhookConfig): string | undefined {
  if (!URL.canParse(hook.url)) return 'not a valid URL'
  const { username, password } = new URL(hook.url)
  const authorization = Object.keys(hook.headers ?? {}).some((name) => name.toLowerCase() === 'authorization')
  if ((username !== '' || password !== '') && authorization) {
    return 'credentials in the URL and an Authorization header: give them once (the URL\'s become Authorization: Basic)'
  }
  return undefined
}

/** `/apps/0/secret` → `apps[0].secret` */
export function dottedPath (pointer: string): string {
  return pointer.split('/').slice(1).reduce((out, part) =>
    /^\d+$/.test(part) ? `${out}[${part}]` : out === '' ? part : `${out}.${part}`, '')
}

/**
 * Fills defaults and validates; throws `InvalidOptionsError` naming the first bad path. `root` names the
 * object in messages (`options` for the plugin, '' for a config file, whose name the CLI prints itself).
 */
export function resolveOptions (input: unknown, root = 'options'): ResolvedOptions {
  const rest = { ...(input ?? {}) as Record<string, unknown> }
  for (const key of HOST_VALUES) Reflect.deleteProperty(rest, key)
  const adapter = (input as { adapter?: unknown } | undefined)?.adapter
  // An adapter configuration is data and is checked; its ioredis options pass through as they are.
  const { redis, ...adapterData } = isAdapterConfig(adapter) ? adapter : {}
  if (isAdapterConfig(adapter)) rest.adapter = adapterData
  if (redis !== undefined && (typeof redis !== 'object' || redis === null || Array.isArray(redis))) {
    throw new InvalidOptionsError(`${root === '' ? '' : root + '.'}adapter.redis: Expected object (ioredis options)`)
  }
  const appStore = (input as { appStore?: unknown } | undefined)?.appStore
  const storeData = appStoreData(appStore, [root, 'appStore'].filter((part) => part !== '').join('.'))
  if (storeData !== undefined) rest.appStore = storeData
  if (appStore !== undefined && rest.apps === undefined) rest.apps = [] // with a store, static apps are optional
  const redisProblem = redisOptionsProblem(redis as RedisOptions | undefined)
  if (redisProblem !== undefined) throw new InvalidOptionsError(`${root === '' ? '' : root + '.'}adapter.redis.${redisProblem}`)
  const problem = notData(rest, root)
  if (problem !== undefined) throw new InvalidOptionsError(problem)
  if (isAdapterConfig(adapter)) {
    // Checked against the schema of its `type` first, so an error names the field rather than the union.
    const bad = Value.Errors(adapterConfigSchema(adapterData.type), adapterData).First()
    if (bad !== undefined) {
      const what = bad.message === 'Expected required property' ? 'required' : bad.message
      throw new InvalidOptionsError(`${[root, 'adapter', dottedPath(bad.path)].filter((part) => part !== '').join('.')}: ${what}`)
    }
  }
  const value = Value.Default(OptionsSchema, Value.Clone(rest))
  const first = Value.Errors(OptionsSchema, value).First()
  if (first !== undefined) {
    const path = dottedPath(first.path)
    const what = first.message === 'Expected required property' ? 'required' : first.message
    throw new InvalidOptionsError(`${[root, path].filter((part) => part !== '').join('.')}: ${what}`)
  }
  const resolved = value as ResolvedOptions
  if (resolved.adapter !== undefined && redis !== undefined) resolved.adapter.redis = redis as RedisOptions
  for (const field of ['id', 'key'] as const) {
    const seen = new Set<string>()
    resolved.apps.forEach((app, i) => {
      if (seen.has(app[field])) {
        throw new InvalidOptionsError(`${root === '' ? '' : root + '.'}apps[${i}].${field}: duplicate "${app[field]}"`)
      }
      seen.add(app[field])
    })
  }
  checkConsoleOptions(resolved.console, root)
  resolved.apps.forEach((app, i) => {
    const problem = appWebhookProblem(app)
    if (problem !== undefined) throw new InvalidOptionsError(`${root === '' ? '' : root + '.'}apps[${i}].${problem}`)
  })
  return resolved
}

/** `webhooks[j].url: …` for the first webhook of the app whose URL cannot be used, else undefined. */
export function appWebhookProblem (app: AppConfig): string | undefined {
  for (const [j, hook] of app.webhooks.entries()) {
    const problem = webhookUrlProblem(hook)
    if (problem !== undefined) return `webhooks[${j}].url: ${problem}`
  }
  return undefined
}
