/**
 * The standalone server: the plugin on a bare Fastify instance with the JSON logger, health and metrics on,
 * and Fastify's own 503-while-closing off, so /health, /ready and the plugin's REST 503 answer during the
 * drain. `GET /metrics` is served on the main port, or on `metricsPort` (same host) by a second, bare
 * Fastify instance that is closed with the main one.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import broadcastt from '../index.js'
import type { ServerConfig } from '../config/load.js'
import { lazyChildLogger, loggerOptions, logRequest } from './logger.js'

export interface Standalone {
  app: FastifyInstance
  url: string
  metricsUrl: string | undefined
  banner: string
  log: FastifyBaseLogger
  close (): Promise<void>
}

/** Route parameters up to this length: channel names (200 characters, §9) and user ids fit. */
const MAX_PARAM_LENGTH = 1000

function banner (config: ServerConfig, url: string, metricsUrl: string | undefined): string {
  const { prefix } = config.options
  const lines = [`fastify-broadcastt listening on ${url}`]
  for (const app of config.options.apps) {
    lines.push(`  app ${app.id}: WebSocket ${url.replace(/^http/, 'ws')}${prefix}/app/${app.key}  REST ${url}${prefix}/apps/${app.id}`)
  }
  const store = config.options.appStore
  if (store !== undefined) lines.push(`  apps of PostgreSQL table ${store.table}: WebSocket ${url.replace(/^http/, 'ws')}${prefix}/app/{key}  REST ${url}${prefix}/apps/{id}`)
  lines.push(`  health ${url}${prefix}/health  readiness ${url}${prefix}/ready` +
    (metricsUrl === undefined ? '' : `  metrics ${metricsUrl}`))
  if (config.options.console.enabled) lines.push(`  debug console ${url}${prefix}${config.options.console.path}`)
  if (config.development) {
    const [app] = config.options.apps
    lines.push(`  credentials: id=${app?.id} key=${app?.key} secret=${app?.secret}`,
      '  WARNING: these are development credentials, known to everyone. Configure your own apps with',
      '  --config apps.json, BROADCASTT_CONFIG or BROADCASTT_APP_ID/KEY/SECRET before exposing this server.')
  }
  return lines.join('\n')
}

async function metricsServer (app: FastifyInstance, config: ServerConfig, port: number): Promise<{ url: string, server: FastifyInstance }> {
  const server = Fastify({ logger: false })
  server.get(`${config.options.prefix}/metrics`, async (_request, reply) => {
    const { contentType, body } = await app.broadcastt.metrics()
    void reply.header('content-type', contentType).header('cache-control', 'no-store')
    return body
  })
  const url = await server.listen({ port, host: config.host })
  return { url: `${url}${config.options.prefix}/metrics`, server }
}

export async function startStandalone (config: ServerConfig): Promise<Standalone> {
  const app = Fastify({
    // TLS: https:// and wss:// on the one port (BROADCASTT_TLS_CERT / --tls-cert and the key).
    https: config.tls ?? null,
    logger: loggerOptions(config.logLevel, config.logFormat),
    childLoggerFactory: lazyChildLogger,
    // Fastify's two lines per request are off; `logRequest` writes one at debug.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: false,
    trustProxy: config.trustProxy,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH }
  })
  // The one line per request is at debug: below that level the hook is not installed at all.
  if (config.logLevel === 'debug' || config.logLevel === 'trace') app.addHook('onResponse', logRequest)
  const separate = config.metricsPort !== undefined && config.options.metrics.enabled
  let url: string
  try {
    await app.register(broadcastt, { ...config.options, metrics: { ...config.options.metrics, endpoint: !separate } })
    // Load balancers probe `GET /` (soketi answers it with 200): the server owns the host, so answer it too.
    app.get('/', async (_request, reply) => await reply.type('text/plain; charset=utf-8').send('OK'))
    url = await app.listen({ port: config.port, host: config.host })
  } catch (err) {
    await app.close().catch(() => {})
    throw err
  }
  let metricsUrl = config.options.metrics.enabled ? `${url}${config.options.prefix}/metrics` : undefined
  let extra: FastifyInstance | undefined
  if (separate && config.metricsPort !== undefined) {
    const started = await metricsServer(app, config, config.metricsPort)
    metricsUrl = started.url
    extra = started.server
  }
  return {
    app,
    url,
    metricsUrl,
    banner: banner(config, url, metricsUrl),
    log: app.log,
    close: async () => {
      await app.close()
      await extra?.close()
    }
  }
}
