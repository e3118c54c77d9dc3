/**
 * The standalone server's logging: pino JSON by default, pino-pretty for a terminal. Secrets never reach a
 * log line: URLs are logged without their query (which holds `auth_signature`), and secret-bearing fields
 * are redacted wherever they appear. Requests are logged as one line at debug (probes and REST calls at
 * production rates would otherwise cost more than the work); connections open and close at info.
 */
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import type { ChildLoggerOptions } from 'fastify/types/logger.js'

/** Fields censored in every log line, wherever a caller puts them. */
export const REDACTED_PATHS = [
  'secret', '*.secret', 'apps[*].secret', '*.apps[*].secret',
  'auth_signature', '*.auth_signature', 'query.auth_signature', '*.query.auth_signature',
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'
]

/** A URL without its query string. */
export function withoutQuery (url: string | undefined): string {
  if (url === undefined) return ''
  const mark = url.indexOf('?')
  return mark === -1 ? url : url.slice(0, mark)
}

interface RequestLike { method?: string, url?: string, ip?: string, socket?: { remoteAddress?: string } }

/** What a request looks like in a log line: method, path (never the query), client address. */
export function requestSerializer (req: RequestLike): Record<string, unknown> {
  return { method: req.method, url: withoutQuery(req.url), remoteAddress: req.ip ?? req.socket?.remoteAddress }
}

export function loggerOptions (level: string, format: 'json' | 'pretty'): Record<string, unknown> {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { req: requestSerializer },
    ...(format === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {})
  }
}

/** The one line per request (Fastify's own are disabled), at debug; installed only at that level. */
export function logRequest (request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  request.log.debug({
    method: request.method,
    url: withoutQuery(request.raw.url),
    statusCode: reply.statusCode,
    ms: Math.round(reply.elapsedTime * 10) / 10
  }, 'request')
  done()
}

type LevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type Bindings = Record<string, unknown>
type Log = (...args: unknown[]) => void

/**
 * A request's logger that becomes a real pino child only when it first logs at an enabled level. Fastify
 * makes a child logger per request to bind `reqId`; with redaction configured, pino serializes the
 * bindings through the redactor each time, which costs more than a signed trigger's own work. Most
 * requests log nothing at the standalone server's levels, so they never pay for it.
 */
class LazyRequestLogger {
  #child: FastifyBaseLogger | undefined

  constructor (private readonly parent: FastifyBaseLogger, private readonly bindings: Bindings) {}

  #real (): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings)
    return this.#child
  }

  #log (level: LevelName, args: unknown[]): void {
    const parent = this.parent as FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean }
    if (this.#child === undefined && parent.isLevelEnabled?.(level) === false) return
    ;(this.#real()[level] as Log)(...args)
  }

  get level (): string { return this.#child?.level ?? this.parent.level }
  set level (level: string) { this.#real().level = level }
  fatal (...args: unknown[]): void { this.#log('fatal', args) }
  error (...args: unknown[]): void { this.#log('error', args) }
  warn (...args: unknown[]): void { this.#log('warn', args) }
  info (...args: unknown[]): void { this.#log('info', args) }
  debug (...args: unknown[]): void { this.#log('debug', args) }
  trace (...args: unknown[]): void { this.#log('trace', args) }
  silent (): void {}
  child (bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options)
  }
}

/** Fastify's `childLoggerFactory` for the standalone server: lazy children (a route's own level or serializers: eager). */
export function lazyChildLogger (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  if (Object.keys(options).length > 0) return logger.child(bindings, options)
  return new LazyRequestLogger(logger, bindings) as unknown as FastifyBaseLogger
}
