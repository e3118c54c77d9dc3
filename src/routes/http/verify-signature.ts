/**
 * The one gate of every `/apps/:app_id/...` request (PROTOCOL.md §9–§10), as a single `preValidation` hook:
 * 503 while draining, 404 unknown app, 403 disabled app, 401 for any signature problem (`auth/` verifies),
 * then the raw body is parsed as JSON (400 when it is not). Bodies reach the hook as the raw bytes received,
 * whatever their content type (the SDKs send `application/json`; curl `-d` sends a form type), so
 * `body_md5` is checked against exactly what came over the wire.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { App } from '../../apps/app-store.js'
import { verifyRequest, type QueryParams } from '../../auth/request-signature.js'
import {
  AppDisabledError, InvalidJsonError, ShuttingDownError, UnauthorizedError, UnknownAppError
} from '../../errors.js'
import type { RestContext } from './context.js'
import { dict } from '../../protocol/dict.js'

/** The verified app of a request; only routes behind the hook call it. */
export function appOf (request: { broadcasttApp?: App }): App {
  const app = request.broadcasttApp
  if (app === undefined) throw new Error('appOf() called on a request the signature hook did not verify')
  return app
}

/** The decoded query of a raw URL, a repeated key as an array; independent of the host's query parser. */
export function rawQuery (url: string): { path: string, query: QueryParams } {
  const mark = url.indexOf('?')
  const path = mark === -1 ? url : url.slice(0, mark)
  const query = dict<string | string[]>()
  if (mark !== -1) {
    for (const [key, value] of new URLSearchParams(url.slice(mark + 1))) {
      const seen = query[key]
      query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value]
    }
  }
  return { path, query }
}

/** A POST without a body reads as `{}` (routes whose fields are all optional then need none). */
function parseBody (raw: Buffer | undefined, method: string): unknown {
  if (raw === undefined || raw.length === 0) return method === 'POST' ? {} : undefined
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch (err) {
    throw new InvalidJsonError((err as Error).message)
  }
}

/** Keeps request bodies as raw bytes, of any content type, up to `bodyLimit`. */
export function rawBodyParsers (scope: FastifyInstance, bodyLimit: number): void {
  scope.removeAllContentTypeParsers()
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => { done(null, body) })
}

/** Adds the hook to a scope holding only `/apps/:app_id/...` routes. */
export function verifySignatureHook (scope: FastifyInstance, ctx: RestContext): void {
  scope.addHook('preValidation', async (request: FastifyRequest) => {
    if (request.is404) return
    if (ctx.draining()) throw new ShuttingDownError()
    const { app_id: appId } = request.params as { app_id: string }
    const app = ctx.apps.byId(appId)
    if (app === undefined) throw new UnknownAppError(appId.slice(0, 100))
    if (!app.enabled) throw new AppDisabledError(app.id)
    const raw = Buffer.isBuffer(request.body) ? request.body : undefined
    const { path, query } = rawQuery(request.raw.url ?? request.url)
    const verdict = verifyRequest({
      app,
      method: request.method,
      path,
      query,
      rawBody: raw,
      nowSeconds: ctx.now() / 1000,
      windowSeconds: app.limits.authTimestampWindowSeconds
    })
    if (!verdict.ok) throw new UnauthorizedError(verdict.message)
    request.body = parseBody(raw, request.method)
    request.broadcasttApp = app
  })
}
