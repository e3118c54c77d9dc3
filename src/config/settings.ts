/**
 * Every setting of the standalone server in one table: its flag, its environment variable, its default, what
 * it means, and where it goes. `--help` prints this table; `load.ts` applies it. Precedence: flag, then
 * environment, then the config file, then the default.
 */
import type { TSchema } from '@sinclair/typebox'
import { LIMIT_DEFAULTS, OptionsSchema } from '../options.js'

/** What a setting's value is parsed as. */
export type Kind = 'string' | 'port' | 'count' | 'boolean' | 'level' | 'format' | 'file' | 'url' | 'nodes' | 'database'

export interface Setting {
  /** Key in the parsed settings (`port`, `limit.maxConnections`, …). */
  readonly key: string
  readonly env: string
  /** Long flag without the dashes; absent for environment-only settings. */
  readonly flag?: string
  readonly short?: string
  readonly kind: Kind
  /** The default as printed by --help. */
  readonly fallback: string
  readonly description: string
  /** Where the value goes in the plugin options, as a path; absent for server-only settings. */
  readonly option?: readonly string[]
  /** The value may hold a secret: a refused one is never echoed. */
  readonly secret?: true
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/**
 * Where the standalone server's defaults differ from the plugin's: it faces anonymous browsers directly, so
 * one address gets at most 100 connections and one connection at most 100 channels (docs/operations.md).
 */
export const STANDALONE_DEFAULTS = Object.freeze({ maxConnectionsPerIp: 100, channelsPerConnection: 100 })

/** `maxConnections` → `MAX_CONNECTIONS` */
const screaming = (name: string): string => name.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase()

/** Per-app limits, applied to every app (they override the config file's values). */
const LIMIT_SETTINGS: Setting[] = Object.entries(LIMIT_DEFAULTS).map(([name, value]) => ({
  key: `limit.${name}`,
  env: `BROADCASTT_LIMIT_${screaming(name)}`,
  kind: 'count',
  fallback: String(name === 'channelsPerConnection' ? STANDALONE_DEFAULTS.channelsPerConnection : value),
  description: `limits.${name} of every app of the config or environment`,
  option: ['limits', name]
}))

/** The plugin option's default at `path` in the options schema, as --help prints it. */
function schemaDefault (path: readonly string[]): string {
  let schema: TSchema | undefined = OptionsSchema
  for (const part of path) schema = (schema?.properties as Record<string, TSchema> | undefined)?.[part]
  const value: unknown = schema?.default
  if (value === undefined) throw new Error(`settings: no schema default at ${path.join('.')}`)
  return String(value)
}

/** A setting that passes a plugin option through: its default is the options schema's. */
const option = (setting: Omit<Setting, 'fallback'> & { option: readonly string[] }): Setting =>
  ({ ...setting, fallback: schemaDefault(setting.option) })

export const SETTINGS: readonly Setting[] = [
  { key: 'config', flag: 'config', short: 'c', env: 'BROADCASTT_CONFIG', kind: 'file', fallback: '', description: 'JSON file of plugin options ({"apps": [...], ...}); every plugin option can be set there' },
  { key: 'port', flag: 'port', short: 'p', env: 'PORT', kind: 'port', fallback: '6001', description: 'port to listen on' },
  { key: 'host', flag: 'host', env: 'HOST', kind: 'string', fallback: '127.0.0.1', description: 'address to listen on (0.0.0.0 in a container)' },
  { key: 'appId', env: 'BROADCASTT_APP_ID', kind: 'string', fallback: '', description: 'one app from the environment: id (with KEY and SECRET; replaces the file\'s apps)' },
  { key: 'appKey', env: 'BROADCASTT_APP_KEY', kind: 'string', fallback: '', description: 'one app from the environment: public key' },
  { key: 'appSecret', env: 'BROADCASTT_APP_SECRET', kind: 'string', fallback: '', description: 'one app from the environment: secret', secret: true },
  { key: 'appClientEvents', env: 'BROADCASTT_APP_CLIENT_EVENTS', kind: 'boolean', fallback: 'false', description: 'one app from the environment: allow client events (clientEvents)' },
  { key: 'databaseUrl', flag: 'database-url', env: 'BROADCASTT_DATABASE_URL', kind: 'database', fallback: '', description: 'PostgreSQL URL: serve the apps of its broadcastt_apps table, changed without a restart (docs/apps.md); sets the url of a config file\'s appStore', secret: true },
  { key: 'redisUrl', flag: 'redis-url', env: 'BROADCASTT_REDIS_URL', kind: 'url', fallback: '', description: 'Redis URL (redis:// or rediss://): run as a cluster node on the Redis adapter (docs/scaling.md)', secret: true },
  { key: 'redisClusterNodes', flag: 'redis-cluster-nodes', env: 'BROADCASTT_REDIS_CLUSTER_NODES', kind: 'nodes', fallback: '', description: 'Redis Cluster seed nodes (host:port,host:port): run as a cluster node on Redis Cluster (docs/scaling.md)' },
  { key: 'consoleToken', env: 'BROADCASTT_CONSOLE_TOKEN', kind: 'string', fallback: '', description: 'turn on the debug console at {prefix}/console, opened with this token (16+ characters; docs/console.md)', option: ['console', 'token'], secret: true },
  { key: 'prefix', env: 'BROADCASTT_PREFIX', kind: 'string', fallback: '', description: 'path prefix of every route', option: ['prefix'] },
  { key: 'metrics', flag: 'metrics', env: 'BROADCASTT_METRICS', kind: 'boolean', fallback: 'true', description: 'Prometheus metrics at GET /metrics', option: ['metrics', 'enabled'] },
  { key: 'metricsPort', flag: 'metrics-port', env: 'BROADCASTT_METRICS_PORT', kind: 'port', fallback: '', description: 'serve /metrics on this port (same host) instead of the main port' },
  { key: 'tlsCert', flag: 'tls-cert', env: 'BROADCASTT_TLS_CERT', kind: 'file', fallback: '', description: 'PEM certificate (chain) file: serve https:// and wss:// (with --tls-key)' },
  { key: 'tlsKey', flag: 'tls-key', env: 'BROADCASTT_TLS_KEY', kind: 'file', fallback: '', description: 'PEM private key file of the certificate' },
  { key: 'tlsPassphrase', env: 'BROADCASTT_TLS_PASSPHRASE', kind: 'string', fallback: '', description: 'passphrase of an encrypted private key', secret: true },
  { key: 'tlsCa', env: 'BROADCASTT_TLS_CA', kind: 'file', fallback: '', description: 'PEM file of CA certificates to present with the certificate' },
  { key: 'logLevel', flag: 'log-level', env: 'LOG_LEVEL', kind: 'level', fallback: 'info', description: `log level: ${LOG_LEVELS.join(', ')}` },
  { key: 'logFormat', env: 'LOG_FORMAT', kind: 'format', fallback: 'json', description: 'json (pino) or pretty (readable, for a terminal; also --pretty)' },
  { key: 'trustProxy', env: 'BROADCASTT_TRUST_PROXY', kind: 'boolean', fallback: 'false', description: 'take the client address from X-Forwarded-For (behind a proxy or load balancer)' },
  option({ key: 'activityTimeout', env: 'BROADCASTT_ACTIVITY_TIMEOUT', kind: 'count', description: 'seconds of silence before the server pings', option: ['activityTimeout'] }),
  option({ key: 'pongTimeout', env: 'BROADCASTT_PONG_TIMEOUT', kind: 'count', description: 'seconds to answer a ping before 4201', option: ['pongTimeout'] }),
  option({ key: 'maxConnections', env: 'BROADCASTT_MAX_CONNECTIONS', kind: 'count', description: 'connections on this server, 0 = unlimited (over it: 4100)', option: ['maxConnections'] }),
  { key: 'maxConnectionsPerIp', env: 'BROADCASTT_MAX_CONNECTIONS_PER_IP', kind: 'count', fallback: String(STANDALONE_DEFAULTS.maxConnectionsPerIp), description: 'connections per client address, 0 = unlimited (over it: 4100)', option: ['maxConnectionsPerIp'] },
  option({ key: 'maxBufferedBytes', env: 'BROADCASTT_MAX_BUFFERED_BYTES', kind: 'count', description: 'unsent bytes per connection before it is closed 4100', option: ['maxBufferedBytes'] }),
  option({ key: 'drainWindowMs', env: 'BROADCASTT_DRAIN_WINDOW_MS', kind: 'count', description: 'on shutdown, ms over which connections get their 4200 close', option: ['shutdown', 'drainWindowMs'] }),
  option({ key: 'graceMs', env: 'BROADCASTT_SHUTDOWN_GRACE_MS', kind: 'count', description: 'on shutdown, ms a client has to answer its close frame', option: ['shutdown', 'graceMs'] }),
  ...LIMIT_SETTINGS
]

/** Flags that are not settings. */
export const SWITCHES = [
  { flag: 'pretty', description: 'readable logs for a terminal (LOG_FORMAT=pretty)' },
  { flag: 'help', short: 'h', description: 'print this help and exit' },
  { flag: 'version', short: 'v', description: 'print the version and exit' }
] as const

/** Parses one value of a setting; throws a message naming what was expected. */
export function parseValue (setting: Setting, raw: string): string | number | boolean {
  const got = setting.secret === true ? 'a value not shown here (it may hold a password)' : JSON.stringify(raw.slice(0, 80))
  const fail = (expected: string): never => { throw new Error(`expected ${expected}, got ${got}`) }
  switch (setting.kind) {
    case 'port': {
      const port = /^\d+$/.test(raw) ? Number(raw) : NaN
      return Number.isInteger(port) && port <= 65535 ? port : fail('0-65535')
    }
    case 'count': {
      const n = /^\d+$/.test(raw) ? Number(raw) : NaN
      return Number.isSafeInteger(n) ? n : fail('a whole number ≥ 0')
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(raw)) return true
      if (/^(false|0|no|off)$/i.test(raw)) return false
      return fail('true or false')
    case 'level':
      return (LOG_LEVELS as readonly string[]).includes(raw) ? raw : fail(LOG_LEVELS.join(', '))
    case 'format':
      return raw === 'json' || raw === 'pretty' ? raw : fail('json or pretty')
    case 'url':
      return /^rediss?:\/\/\S+$/.test(raw) ? raw : fail('a redis:// or rediss:// URL')
    case 'nodes':
      return /^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/.test(raw) ? raw : fail('host:port,host:port')
    case 'database':
      return /^postgres(ql)?:\/\/\S+$/.test(raw) ? raw : fail('a postgres:// or postgresql:// URL')
    default:
      return raw
  }
}

/** The text of `--help`. */
export function helpText (version: string): string {
  const lines = [
    `broadcastt-server ${version}: the fastify-broadcastt standalone server`,
    '',
    'Usage: broadcastt-server [options]',
    '',
    'Settings (flag, environment variable, default). A flag beats the environment, which beats the config file.'
  ]
  for (const s of SETTINGS) {
    const flag = s.flag === undefined ? '' : `--${s.flag}${s.short === undefined ? '' : `, -${s.short}`}`
    const fallback = s.fallback === '' ? '' : ` (default ${s.fallback})`
    lines.push(`  ${flag.padEnd(20)} ${s.env.padEnd(46)} ${s.description}${fallback}`)
  }
  lines.push('', 'Switches:')
  for (const s of SWITCHES) {
    const flag = `--${s.flag}${'short' in s ? `, -${s.short}` : ''}`
    lines.push(`  ${flag.padEnd(20)} ${s.description}`)
  }
  lines.push('', 'On SIGTERM or SIGINT the server drains (readiness 503, connections closed 4200 over the drain window)',
    'and exits 0; a second signal exits at once.',
    '', 'soketi\'s SOKETI_* variables and config file are understood too (docs/migrating.md). With NODE_ENV=production',
    'and no app configured the server refuses to start.')
  return lines.join('\n')
}
