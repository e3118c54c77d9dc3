/**
 * The standalone server's configuration: the only place that reads environment variables and files.
 * Sources, first match wins: `--config FILE` / `BROADCASTT_CONFIG` (a JSON file of plugin options),
 * `BROADCASTT_APP_ID` + `BROADCASTT_APP_KEY` + `BROADCASTT_APP_SECRET` (one app), else the development app.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { resolveOptions, type AppInput, type ResolvedOptions } from '../options.js'

export interface ServerConfig {
  options: ResolvedOptions
  port: number
  host: string
  /** True when no app was configured and the development app is served. */
  development: boolean
  /** Where the apps came from, for the start-up message. */
  source: string
}

/** A configuration problem: the CLI prints `message` and exits 1. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Well-known credentials of the development app; printed with a warning at start-up. */
export const DEVELOPMENT_APP: Readonly<AppInput> = Object.freeze({
  id: 'app-id', key: 'app-key', secret: 'app-secret', name: 'development', clientEvents: true
})

const DEFAULT_PORT = 6001
const DEFAULT_HOST = '127.0.0.1'

function listenPort (value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PORT
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT: expected 0-65535, got "${value}"`)
  return port
}

function readJson (file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON (${(err as Error).message})`)
  }
}

function appsInput (file: string | undefined, env: NodeJS.ProcessEnv): { input: unknown, source: string, development: boolean } {
  if (file !== undefined) return { input: readJson(file), source: file, development: false }
  const { BROADCASTT_APP_ID: id, BROADCASTT_APP_KEY: key, BROADCASTT_APP_SECRET: secret } = env
  if (id !== undefined || key !== undefined || secret !== undefined) {
    const missing = Object.entries({ BROADCASTT_APP_ID: id, BROADCASTT_APP_KEY: key, BROADCASTT_APP_SECRET: secret })
      .filter(([, value]) => value === undefined || value === '').map(([name]) => name)
    if (missing.length > 0) throw new ConfigError(`${missing.join(', ')}: required when any BROADCASTT_APP_* is set`)
    return { input: { apps: [{ id, key, secret }] }, source: 'environment', development: false }
  }
  return { input: { apps: [{ ...DEVELOPMENT_APP }] }, source: 'development app', development: true }
}

/** Reads the configuration from command-line arguments and the environment. */
export function loadConfig (argv: readonly string[], env: NodeJS.ProcessEnv): ServerConfig {
  let values: { config?: string | undefined }
  try {
    ({ values } = parseArgs({ args: [...argv], options: { config: { type: 'string', short: 'c' } }, strict: true }))
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
  const file = values.config ?? (env.BROADCASTT_CONFIG === '' ? undefined : env.BROADCASTT_CONFIG)
  const { input, source, development } = appsInput(file, env)
  // BROADCASTT_REDIS_URL runs the server as a cluster node (docs/scaling.md), unless the file names an adapter.
  const redisUrl = env.BROADCASTT_REDIS_URL
  if (redisUrl !== undefined && redisUrl !== '' && typeof input === 'object' && input !== null && !('adapter' in input)) {
    Object.assign(input, { adapter: { type: 'redis', url: redisUrl } })
  }
  let options: ResolvedOptions
  try {
    options = resolveOptions(input, '')
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`)
  }
  if (options.apps.length === 0) throw new ConfigError(`${source}: apps: at least one app is required`)
  return { options, port: listenPort(env.PORT), host: env.HOST ?? DEFAULT_HOST, development, source }
}
