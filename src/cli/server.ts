/**
 * The standalone server: the plugin on a bare Fastify instance with the JSON logger, health and metrics on,
 * and Fastify's own 503-while-closing off, so /health, /ready and the plugin's REST 503 answer during the
 * drain. `GET /metrics` is served on the main port, or on `metricsPort` (same host) by a second, bare
 * Fastify instance that is closed with the main one.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import broadcastt from '../index.js'
import type { ServerConfig } from '../config/load.js'
import { UriTooLongError } from '../errors.js'
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

/**
 * Longest request target served. Every request of ours fits (a signed query is refused over 4 KB anyway);
 * a longer one is answered 414 before Fastify routes it, since routing scans and parses the whole target:
 * a flood of 14 KB targets cost more there than everything else the server did for them.
 */
const MAX_URL_BYTES = 8192

/** The HTTP server of the standalone server (TLS when configured), refusing over-long request targets first. */
function serverFactory (tls: ServerConfig['tls']) {
  return (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
    const guarded = (req: IncomingMessage, res: ServerResponse): void => {
      const length = req.url?.length ?? 0
      if (length <= MAX_URL_BYTES) {
        handler(req, res)
        return
      }
      const error = new UriTooLongError(length, MAX_URL_BYTES)
      const status = error.statusCode as number // set by its definition in src/errors.ts
      const body = JSON.stringify({ statusCode: status, code: error.code, error: STATUS_CODES[status], message: error.message })
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body)
    }
    // Fastify's own defaults (72 s keep-alive, no request timeout), which it applies only to servers it makes.
    const server = tls === undefined ? createServer(guarded) : createTlsServer(tls, guarded)
    server.keepAliveTimeout = 72_000
    return server
  }
}

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
    serverFactory: serverFactory(config.tls),
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
    // Fastify names the scheme from its `https` option, which serverFactory replaces.
    if (config.tls !== undefined) url = url.replace(/^http:/, 'https:')
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
