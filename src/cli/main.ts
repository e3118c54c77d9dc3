#!/usr/bin/env node
/**
 * `broadcastt-server` / `npm start`: the standalone server, the plugin on a bare Fastify instance.
 * `--help` lists every setting; `--version` prints the version. SIGTERM/SIGINT drain and exit 0; a second
 * signal exits at once (128 + the signal's number).
 */
import { readFileSync } from 'node:fs'
import { ConfigError, loadConfig, requestedSwitch, type ServerConfig } from '../config/load.js'
import { helpText } from '../config/settings.js'
import { startStandalone } from './server.js'

function version (): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

function configure (argv: string[]): ServerConfig | undefined {
  try {
    const asked = requestedSwitch(argv)
    if (asked === 'help') process.stdout.write(helpText(version()) + '\n')
    if (asked === 'version') process.stdout.write(version() + '\n')
    if (asked !== undefined) return undefined
    return loadConfig(argv, process.env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`broadcastt-server: invalid configuration: ${err.message}\n`)
    process.exitCode = 1
    return undefined
  }
}

const EXIT_ON_SECOND_SIGNAL: Record<string, number> = { SIGINT: 130, SIGTERM: 143 }

async function main (): Promise<void> {
  const config = configure(process.argv.slice(2))
  if (config === undefined) return
  let server: Awaited<ReturnType<typeof startStandalone>>
  try {
    server = await startStandalone(config)
  } catch (err) {
    // A dependency that cannot be reached at start (the app store's PostgreSQL, a port in use): one line, exit 1.
    process.stderr.write(`broadcastt-server: cannot start: ${(err as Error).message}\n`)
    process.exitCode = 1
    return
  }
  process.stdout.write(server.banner + '\n')
  for (const notice of config.notices) server.log.warn(notice)
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) {
      server.log.warn({ signal }, 'second signal: exiting now')
      process.exit(EXIT_ON_SECOND_SIGNAL[signal] ?? 1)
    }
    stopping = true
    server.log.info({ signal }, 'shutting down')
    server.close().then(() => {
      server.log.info('stopped')
      process.exitCode = 0
      // Nothing should be left running; should a handle leak anyway, do not hang the shutdown on it.
      setTimeout(() => { process.exit(0) }, 1000).unref()
    }, (err: unknown) => {
      server.log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

await main()
