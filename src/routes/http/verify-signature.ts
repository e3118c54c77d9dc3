/**
 * The gate of every `/apps/:app_id/...` request (PROTOCOL.md §9–§10). Before the body is read: 503 while
 * draining, 404 unknown app, 403 disabled app, 401 for any problem of the auth parameters or the signature
 * (`auth/` verifies; the signature covers `body_md5`). Only then is the body read, its MD5 compared with the
 * signed `body_md5` (401) and parsed as JSON (400). Bodies reach the check as the raw bytes received,
 * whatever their content type (the SDKs send `application/json`; curl `-d` sends a form type), so
 * `body_md5` is checked against exactly what came over the wire.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { App } from '../../apps/app-store.js'
import { verifyRequestBody, verifyRequestQuery, type QueryParams } from '../../auth/request-signature.js'
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

/** The request's app, or the refusal: 503 while draining, 404 unknown app, 403 disabled app. */
function appOfRequest (request: FastifyRequest, ctx: RestContext): App {
  if (ctx.draining()) throw new ShuttingDownError()
  const { app_id: appId } = request.params as { app_id: string }
  const app = ctx.apps.byId(appId)
  if (app === undefined) throw new UnknownAppError(appId.slice(0, 100))
  if (!app.enabled) throw new AppDisabledError(app.id)
  return app
}

/** Whether the request announces a body (which a refusal then leaves unread). */
const hasBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0

/**
 * Adds the gate to a scope holding only `/apps/:app_id/...` routes, in two hooks. Before the body is read
 * (`preParsing`): the app, the auth parameters, the timestamp and the signature, which covers `body_md5`.
 * A refused request's body is never read or hashed, and its connection is closed rather than drained.
 * After the body is read (`preValidation`): its MD5 against the signed `body_md5`, then the JSON.
 */
export function verifySignatureHook (scope: FastifyInstance, ctx: RestContext): void {
  scope.addHook('preParsing', async (request: FastifyRequest, reply, payload) => {
    if (request.is404) return payload
    try {
      const app = appOfRequest(request, ctx)
      const { path, query } = rawQuery(request.raw.url ?? request.url)
      const verdict = verifyRequestQuery({
        app,
        method: request.method,
        path,
        query,
        nowSeconds: ctx.now() / 1000,
        windowSeconds: app.limits.authTimestampWindowSeconds
      })
      if (!verdict.ok) throw new UnauthorizedError(verdict.message)
      request.broadcasttApp = app
      return payload
    } catch (error) {
      if (hasBody(request)) void reply.header('connection', 'close')
      throw error
    }
  })
  scope.addHook('preValidation', async (request: FastifyRequest) => {
    if (request.is404 || request.broadcasttApp === undefined) return
    const raw = Buffer.isBuffer(request.body) ? request.body : undefined
    const verdict = verifyRequestBody(rawQuery(request.raw.url ?? request.url).query.body_md5, raw)
    if (!verdict.ok) throw new UnauthorizedError(verdict.message)
    request.body = parseBody(raw, request.method)
  })
}
