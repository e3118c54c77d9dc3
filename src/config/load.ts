/**
 * The standalone server's configuration: the only place that reads environment variables and files.
 * Every setting is in `settings.ts` (flag, environment variable, default). Apps come from
 * `BROADCASTT_APP_ID` + `BROADCASTT_APP_KEY` + `BROADCASTT_APP_SECRET` (one app), else `--config FILE` /
 * `BROADCASTT_CONFIG` (a JSON file of plugin options), and/or from PostgreSQL (`BROADCASTT_DATABASE_URL`),
 * else the development app (refused when NODE_ENV=production). A setting given by a flag or the environment
 * overrides the file's value. soketi's variables and config file are translated first (`soketi.ts`).
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { parseClusterNodes } from '../adapters/config.js'
import { resolveOptions, type AppInput, type ResolvedOptions } from '../options.js'
import { parseValue, SETTINGS, STANDALONE_DEFAULTS, SWITCHES, type Setting } from './settings.js'
import { describeOffset, jsonErrorOffset } from './json-position.js'
import { convertSoketiConfig, isSoketiConfig, soketiEnv } from './soketi.js'

export interface ServerConfig {
  options: ResolvedOptions
  port: number
  host: string
  /** True when no app was configured and the development app is served. */
  development: boolean
  /** Where the apps came from, for the start-up message. */
  source: string
  /** A separate port for GET /metrics; undefined serves it on the main port. */
  metricsPort: number | undefined
  logLevel: string
  logFormat: 'json' | 'pretty'
  trustProxy: boolean
  /** The certificate and key of an HTTPS server (https:// and wss://); undefined serves plain HTTP. */
  tls: TlsConfig | undefined
  /** Start-up notices (names of settings, never values): soketi settings that have no equivalent here. */
  notices: string[]
}

export interface TlsConfig {
  cert: Buffer
  key: Buffer
  passphrase?: string
  ca?: Buffer
}

/** A configuration problem: the CLI prints `message` and exits 1. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Well-known credentials of the development app; printed with a warning at start-up. */
export const DEVELOPMENT_APP: Readonly<AppInput> = Object.freeze({
  id: 'app-id', key: 'app-key', secret: 'app-secret', name: 'development', clientEvents: true
})

type Value = string | number | boolean

function readJson (file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  try {
    return JSON.parse(text)
  } catch {
    // Where, never what: V8's message can quote the text around the error, secrets included.
    throw new ConfigError(`${file}: not valid JSON at ${describeOffset(text, jsonErrorOffset(text))}`)
  }
}

/** The parsed flags: setting values by key, plus the switches. */
function parseFlags (argv: readonly string[]): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: 'string' | 'boolean', short?: string }> = {}
  for (const s of SETTINGS) {
    if (s.flag !== undefined) options[s.flag] = { type: 'string', ...(s.short === undefined ? {} : { short: s.short }) }
  }
  for (const s of SWITCHES) options[s.flag] = { type: 'boolean', ...('short' in s ? { short: s.short } : {}) }
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
}

/** `--help` or `--version` asked for (checked before anything else is read). */
export function requestedSwitch (argv: readonly string[]): 'help' | 'version' | undefined {
  const flags = parseFlags(argv)
  if (flags.help === true) return 'help'
  if (flags.version === true) return 'version'
  return undefined
}

/** Every setting given by a flag or the environment, parsed; an unparsable one throws naming its source. */
function settingValues (argv: readonly string[], env: NodeJS.ProcessEnv, origins: Record<string, string> = {}):
Map<string, { value: Value, from: string }> {
  const flags = parseFlags(argv)
  const out = new Map<string, { value: Value, from: string }>()
  for (const s of SETTINGS) {
    const flag = s.flag === undefined ? undefined : flags[s.flag]
    const fromEnv = env[s.env]
    const [raw, from] = typeof flag === 'string'
      ? [flag, `--${s.flag ?? ''}`]
      : [fromEnv === '' ? undefined : fromEnv, origins[s.env] ?? s.env]
    if (raw === undefined) continue
    try {
      out.set(s.key, { value: parseValue(s, raw), from })
    } catch (err) {
      throw new ConfigError(`${from}: ${(err as Error).message}`)
    }
  }
  if (flags.pretty === true) out.set('logFormat', { value: 'pretty', from: '--pretty' })
  return out
}

function readConfigObject (file: string): Record<string, unknown> {
  const json = readJson(file)
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError(`${file}: expected a JSON object`)
  return json as Record<string, unknown>
}

function appsInput (file: string | undefined, json: Record<string, unknown> | undefined,
  values: Map<string, { value: Value }>): { input: Record<string, unknown>, source: string, development: boolean } {
  const [id, key, secret] = ['appId', 'appKey', 'appSecret'].map((k) => values.get(k)?.value as string | undefined)
  const input: Record<string, unknown> = json ?? {}
  if (id !== undefined || key !== undefined || secret !== undefined) {
    const missing = Object.entries({ BROADCASTT_APP_ID: id, BROADCASTT_APP_KEY: key, BROADCASTT_APP_SECRET: secret })
      .filter(([, value]) => value === undefined).map(([name]) => name)
    if (missing.length > 0) {
      throw new ConfigError(`${missing.join(', ')}: required when any BROADCASTT_APP_* (or SOKETI_DEFAULT_APP_*) is set`)
    }
    const clientEvents = values.get('appClientEvents')?.value as boolean | undefined
    const app = { id, key, secret, ...(clientEvents === undefined ? {} : { clientEvents }) }
    return { input: { ...input, apps: [app] }, source: file ?? 'environment', development: false }
  }
  if (file !== undefined) return { input, source: file, development: false }
  if (values.has('databaseUrl')) return { input: {}, source: 'PostgreSQL', development: false }
  return { input: { apps: [{ ...DEVELOPMENT_APP }] }, source: 'development app', development: true }
}

/** The file's plugin options; a soketi config file is converted, its server settings join the environment's. */
function configFile (file: string | undefined, env: NodeJS.ProcessEnv, origins: Record<string, string>):
{ json: Record<string, unknown> | undefined, env: NodeJS.ProcessEnv, ignored: string[], origins: Record<string, string> } {
  if (file === undefined) return { json: undefined, env, ignored: [], origins }
  const json = readConfigObject(file)
  if (!isSoketiConfig(json)) return { json, env, ignored: [], origins }
  try {
    const converted = convertSoketiConfig(json)
    const merged: NodeJS.ProcessEnv = { ...converted.env }
    const from: Record<string, string> = { ...origins }
    for (const [name, key] of Object.entries(converted.origins)) from[name] = `${file}: ${key}`
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined || value === '') continue
      merged[name] = value
      if (origins[name] === undefined) delete from[name]
      else from[name] = origins[name]
    }
    return { json: converted.options, env: merged, ignored: converted.ignored.map((key) => `${file}: ${key}`), origins: from }
  } catch (err) {
    throw new ConfigError(`${file} (soketi format): ${(err as Error).message}`)
  }
}

/** Reads the TLS files named by the settings; both a certificate and a key, or neither. */
function tlsConfig (values: Map<string, { value: Value, from: string }>): TlsConfig | undefined {
  const cert = values.get('tlsCert')
  const key = values.get('tlsKey')
  if (cert === undefined && key === undefined) {
    const stray = values.get('tlsCa') ?? values.get('tlsPassphrase')
    if (stray !== undefined) throw new ConfigError(`${stray.from}: needs a certificate and a key (BROADCASTT_TLS_CERT, BROADCASTT_TLS_KEY)`)
    return undefined
  }
  if (cert === undefined || key === undefined) {
    throw new ConfigError(`${(cert ?? key)?.from ?? ''}: needs ${cert === undefined ? '--tls-cert / BROADCASTT_TLS_CERT' : '--tls-key / BROADCASTT_TLS_KEY'} too`)
  }
  const read = (entry: { value: Value, from: string }): Buffer => {
    try {
      return readFileSync(String(entry.value))
    } catch (err) {
      throw new ConfigError(`${entry.from}: ${String(entry.value)} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
    }
  }
  const passphrase = values.get('tlsPassphrase')?.value as string | undefined
  const ca = values.get('tlsCa')
  return {
    cert: read(cert),
    key: read(key),
    ...(passphrase === undefined ? {} : { passphrase }),
    ...(ca === undefined ? {} : { ca: read(ca) })
  }
}

/** Writes a setting's value into the plugin options input (limits into every app). */
function overlay (input: Record<string, unknown>, setting: Setting, value: Value): void {
  const path = setting.option
  if (path === undefined) return
  if (path[0] === 'limits') {
    if (!Array.isArray(input.apps)) return
    input.apps = input.apps.map((app: unknown) => {
      if (typeof app !== 'object' || app === null) return app
      const limits = (app as { limits?: unknown }).limits
      return { ...app, limits: { ...(typeof limits === 'object' && limits !== null ? limits : {}), [path[1] ?? '']: value } }
    })
    return
  }
  let target = input
  for (const part of path.slice(0, -1)) {
    const next = target[part]
    target = target[part] = typeof next === 'object' && next !== null ? { ...next } : {}
  }
  target[path[path.length - 1] ?? ''] = value
}

/** Reads the configuration from command-line arguments and the environment. */
export function loadConfig (argv: readonly string[], processEnv: NodeJS.ProcessEnv): ServerConfig {
  const soketi = soketiEnv(processEnv)
  if (soketi.refused !== undefined) throw new ConfigError(soketi.refused)
  const file = settingValues(argv, soketi.env, soketi.origins).get('config')?.value as string | undefined
  const fromFile = configFile(file, soketi.env, soketi.origins)
  const values = settingValues(argv, fromFile.env, fromFile.origins)
  const { input, source, development } = appsInput(file, fromFile.json, values)
  if (development && processEnv.NODE_ENV === 'production') {
    throw new ConfigError('NODE_ENV=production and no app configured: refusing to serve the public development app. ' +
      'Set BROADCASTT_APP_ID, BROADCASTT_APP_KEY and BROADCASTT_APP_SECRET (or SOKETI_DEFAULT_APP_*), ' +
      '--config FILE or BROADCASTT_DATABASE_URL (docs/operations.md)')
  }
  const given = SETTINGS.filter((s) => s.option !== undefined && values.has(s.key))
  // The standalone server's own defaults: health, metrics, the OpenAPI document and /docs on (a config file may turn metrics off), and the
  // per-address and per-connection caps of STANDALONE_DEFAULTS unless the file sets them.
  const { maxConnectionsPerIp, channelsPerConnection } = STANDALONE_DEFAULTS
  const withDefaults: Record<string, unknown> = {
    health: true,
    maxConnectionsPerIp,
    ...input,
    metrics: { enabled: true, ...(input.metrics as object) },
    rest: { openapi: true, docs: true, ...(input.rest as object) },
    apps: Array.isArray(input.apps)
      ? input.apps.map((app: unknown) => typeof app === 'object' && app !== null
        ? { ...app, limits: { channelsPerConnection, ...(app as { limits?: object }).limits } }
        : app)
      : input.apps
  }
  for (const s of given) overlay(withDefaults, s, values.get(s.key)?.value as Value)
  // BROADCASTT_CONSOLE_TOKEN (overlaid as console.token) turns the console on.
  if (values.has('consoleToken')) (withDefaults.console as Record<string, unknown>).enabled = true
  const redisUrl = values.get('redisUrl')?.value as string | undefined
  if (redisUrl !== undefined) {
    // BROADCASTT_REDIS_URL / --redis-url runs the server as a cluster node (docs/scaling.md).
    const adapter = withDefaults.adapter
    withDefaults.adapter = { ...(typeof adapter === 'object' && adapter !== null ? adapter : {}), type: 'redis', url: redisUrl }
  }
  const clusterNodes = values.get('redisClusterNodes')?.value as string | undefined
  if (clusterNodes !== undefined) {
    // BROADCASTT_REDIS_CLUSTER_NODES / --redis-cluster-nodes runs the server as a node on Redis Cluster.
    const nodes = parseClusterNodes(clusterNodes)
    if (typeof nodes === 'string') throw new ConfigError(`BROADCASTT_REDIS_CLUSTER_NODES: ${nodes}`)
    const { url: _url, type: _type, ...adapter } = (typeof withDefaults.adapter === 'object' && withDefaults.adapter !== null ? withDefaults.adapter : {}) as Record<string, unknown>
    withDefaults.adapter = { ...adapter, type: 'redis-cluster', nodes }
  }
  const databaseUrl = values.get('databaseUrl')?.value as string | undefined
  if (databaseUrl !== undefined) {
    // BROADCASTT_DATABASE_URL / --database-url serves the apps of a PostgreSQL table (docs/apps.md).
    const store = withDefaults.appStore
    withDefaults.appStore = { ...(typeof store === 'object' && store !== null ? store : {}), type: 'postgres', url: databaseUrl }
  }
  let options: ResolvedOptions
  try {
    options = resolveOptions(withDefaults, '')
  } catch (err) {
    const message = (err as Error).message
    const culprit = given.find((s) => message.startsWith((s.option ?? []).join('.') + ':') ||
      (s.option?.[0] === 'limits' && message.includes(`.limits.${s.option[1] ?? ''}:`)))
    throw new ConfigError(culprit === undefined ? `${source}: ${message}` : `${values.get(culprit.key)?.from ?? ''}: ${message}`)
  }
  if (options.apps.length === 0 && options.appStore === undefined) {
    throw new ConfigError(`${source}: apps: at least one app is required (or an appStore)`)
  }
  const get = <T extends Value>(key: string, fallback: T): T => (values.get(key)?.value as T | undefined) ?? fallback
  const metricsPort = values.get('metricsPort')?.value as number | undefined
  return {
    options,
    port: get('port', 6001),
    host: get('host', '127.0.0.1'),
    development,
    source,
    metricsPort,
    logLevel: get('logLevel', 'info'),
    logFormat: get<string>('logFormat', 'json') === 'pretty' ? 'pretty' : 'json',
    trustProxy: get('trustProxy', false),
    tls: tlsConfig(values),
    notices: [...soketi.ignored, ...fromFile.ignored].map((name) => `${name}: no equivalent here, ignored (docs/migrating.md)`)
  }
}
