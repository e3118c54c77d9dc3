#!/usr/bin/env node
/**
 * `broadcastt-server` / `npm start`: the standalone server, the plugin on a bare Fastify instance.
 */
import Fastify from 'fastify'
import broadcastt from '../index.js'
import { ConfigError, loadConfig, type ServerConfig } from '../config/load.js'

function banner (config: ServerConfig, url: string): string {
  const lines = [`fastify-broadcastt listening on ${url}`]
  for (const app of config.options.apps) {
    lines.push(`  app ${app.id}: WebSocket ${url.replace(/^http/, 'ws')}${config.options.prefix}/app/${app.key}` +
      `  REST ${url}${config.options.prefix}/apps/${app.id}`)
  }
  if (config.development) {
    const [app] = config.options.apps
    lines.push(`  credentials: id=${app?.id} key=${app?.key} secret=${app?.secret}`,
      '  WARNING: these are development credentials, known to everyone. Configure your own apps with',
      '  --config apps.json, BROADCASTT_CONFIG or BROADCASTT_APP_ID/KEY/SECRET before exposing this server.')
  }
  return lines.join('\n')
}

async function main (): Promise<void> {
  let config: ServerConfig
  try {
    config = loadConfig(process.argv.slice(2), process.env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`broadcastt-server: invalid configuration: ${err.message}\n`)
    process.exitCode = 1
    return
  }
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
  await app.register(broadcastt, config.options)
  const url = await app.listen({ port: config.port, host: config.host })
  process.stdout.write(banner(config, url) + '\n')
  const stop = (signal: string): void => {
    app.log.info({ signal }, 'shutting down')
    app.close().then(() => { process.exitCode = 0 }, (err: unknown) => {
      app.log.error(err)
      process.exitCode = 1
    })
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

await main()
