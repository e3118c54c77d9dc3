/**
 * The standalone server's logging: pino JSON by default, pino-pretty for a terminal. Secrets never reach a
 * log line: URLs are logged without their query (which holds `auth_signature`), and secret-bearing fields
 * are redacted wherever they appear. Requests are logged as one line at debug (probes and REST calls at
 * production rates would otherwise cost more than the work); connections open and close at info.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'

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

/** The one line per request (with `disableRequestLogging`), at debug. */
export async function logRequest (request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.log.level !== 'debug' && request.log.level !== 'trace') return
  request.log.debug({
    method: request.method,
    url: withoutQuery(request.raw.url),
    statusCode: reply.statusCode,
    ms: Math.round(reply.elapsedTime * 10) / 10
  }, 'request')
}
