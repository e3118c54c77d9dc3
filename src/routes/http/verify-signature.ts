/**
 * The gate of every `/apps/:app_id/...` request (PROTOCOL.md §9–§10). Before the body is read: 503 while
 * draining, 404 unknown app, 403 disabled app, 400 for a query string over `QUERY_LIMITS`, 401 for any problem of the auth parameters or the signature
 * (`auth/` verifies; the signature covers `body_md5`). Only then is the body read, its MD5 compared with the
 * signed `body_md5` (401) and parsed as JSON (400). Bodies reach the check as the raw bytes received,
 * whatever their content type (the SDKs send `application/json`; curl `-d` sends a form type), so
 * `body_md5` is checked against exactly what came over the wire.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { App } from '../../apps/app-store.js'
import {
  canonicalQueryString, parseQueryString, QUERY_LIMITS, verifyRequestBody, verifyRequestQuery, type QueryParams
} from '../../auth/request-signature.js'
import {
  AppDisabledError, InvalidJsonError, InvalidRequestError, ShuttingDownError, UnauthorizedError, UnknownAppError
} from '../../errors.js'
import type { RestContext } from './context.js'
import { dict } from '../../protocol/dict.js'

/** The verified app of a request; only routes behind the hook call it. */
export function appOf (request: { broadcasttApp?: App }): App {
  const app = request.broadcasttApp
  if (app === undefined) throw new Error('appOf() called on a request the signature hook did not verify')
  return app
}

/**
 * The decoded query of a raw URL, a repeated key as an array; independent of the host's query parser. A
 * query string over `QUERY_LIMITS` (bytes, then parameters) is refused with 400 before or while it is
 * parsed, so no request costs more than parsing 4 KB.
 */
export function rawQuery (url: string): { path: string, query: QueryParams, text: string } {
  const mark = url.indexOf('?')
  if (mark === -1) return { path: url, query: dict(), text: '' }
  const bytes = url.length - mark - 1
  if (bytes > QUERY_LIMITS.bytes) {
    throw new InvalidRequestError(`The query string is ${bytes} bytes; the limit is ${QUERY_LIMITS.bytes}`)
  }
  const query = parseQueryString(url.slice(mark + 1), QUERY_LIMITS.params)
  if (query === undefined) throw new InvalidRequestError(`The query string has more than ${QUERY_LIMITS.params} parameters`)
  return { path: url.slice(0, mark), query, text: url.slice(mark + 1) }
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

/**
 * Reads request bodies as raw bytes, of any content type, up to `bodyLimit`; a verified request's body is
 * then checked against its signed `body_md5` (401) and parsed as JSON (400), in the parser itself, so the
 * bytes are handled once and no further hook runs per request.
 */
export function rawBodyParsers (scope: FastifyInstance, bodyLimit: number): void {
  scope.removeAllContentTypeParsers()
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    const signed = request.broadcasttSigned
    if (signed === undefined) {
      done(null, body) // 404: no route, nothing verified, nothing to parse
      return
    }
    try {
      done(null, checkedBody(signed.bodyMd5, body as Buffer, request.method))
    } catch (error) {
      done(error as Error, undefined)
    }
  })
}

/** The body against the signed `body_md5`, then parsed. */
function checkedBody (bodyMd5: QueryParams[string], raw: Buffer | undefined, method: string): unknown {
  const verdict = verifyRequestBody(bodyMd5, raw)
  if (!verdict.ok) throw new UnauthorizedError(verdict.message)
  return parseBody(raw, method)
}

/** The request's app, or the refusal: 503 while draining, 404 unknown app, 403 disabled app. */
function admitted (ctx: RestContext, appId: string, app: App | null): App {
  if (ctx.draining()) throw new ShuttingDownError()
  if (app === null) throw new UnknownAppError(appId.slice(0, 100))
  if (!app.enabled) throw new AppDisabledError(app.id)
  return app
}

/** Methods whose body Fastify never reads. */
const BODYLESS = new Set(['GET', 'HEAD', 'TRACE'])

/** Whether Fastify will call the scope's body parser: a method with a body, announced or typed. */
const parserRuns = (request: FastifyRequest, announced: boolean): boolean =>
  !BODYLESS.has(request.method) && (announced || request.headers['content-type'] !== undefined)

/** Whether the request announces a body (which a refusal then leaves unread). */
const hasBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0

/**
 * Adds the gate to a scope holding only `/apps/:app_id/...` routes. Before the body is read (`preParsing`):
 * the app, the auth parameters, the timestamp and the signature, which covers `body_md5`. A refused
 * request's body is never read or hashed, and its connection is closed rather than drained. The body is
 * checked by the scope's parser (`rawBodyParsers`) as it is read; a request announcing none is checked here.
 */
export function verifySignatureHook (scope: FastifyInstance, ctx: RestContext): void {
  // A callback hook, not an async one: this runs on every signed request, and a promise per request adds up.
  // Only an app id that is neither static nor cached waits for the app store.
  scope.addHook('preParsing', (request: FastifyRequest, reply, payload, done) => {
    if (request.is404) {
      done(null, payload)
      return
    }
    const { app_id: appId } = request.params as { app_id: string }
    const known = ctx.draining() ? null : ctx.apps.peekId(appId)
    if (known !== undefined) {
      const refusal = verify(ctx, request, reply, appId, known)
      if (refusal === undefined) done(null, payload)
      else done(refusal)
      return
    }
    const gate = (app: App | null): void => {
      const refusal = verify(ctx, request, reply, appId, app)
      if (refusal === undefined) done(null, payload)
      else done(refusal)
    }
    ctx.apps.byId(appId).then((app) => { gate(app ?? null) }, () => { gate(null) })
  })
}

/** Checks the app and the request's signature; the refusal, or undefined when the request may go on. */
function verify (ctx: RestContext, request: FastifyRequest, reply: FastifyReply, appId: string, found: App | null):
Error | undefined {
  const announced = hasBody(request)
  try {
    const app = admitted(ctx, appId, found)
    const { path, query, text } = rawQuery(request.raw.url ?? request.url)
    const verdict = verifyRequestQuery({
      app,
      method: request.method,
      path,
      query,
      canonicalQuery: canonicalQueryString(text),
      nowSeconds: ctx.now() / 1000,
      windowSeconds: app.limits.authTimestampWindowSeconds
    })
    if (!verdict.ok) throw new UnauthorizedError(verdict.message)
    request.broadcasttApp = app
    request.broadcasttSigned = { bodyMd5: query.body_md5 }
    if (!parserRuns(request, announced)) request.body = checkedBody(query.body_md5, undefined, request.method)
    return undefined
  } catch (error) {
    if (announced) void reply.header('connection', 'close')
    return error as Error
  }
}
