/**
 * The signed REST API (PROTOCOL.md §9–§10) on its own encapsulated scope: raw-body parsers, the signature
 * hook, one error format, and the routes; plus the OpenAPI document and the reference page, unsigned.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { BodyTooLargeError, InternalError, InvalidRequestError, RouteNotFoundError } from '../../errors.js'
import { registerChannelRoutes } from './channels.js'
import type { RestContext } from './context.js'
import { readRateHook } from './read-rate.js'
import { registerDocsRoutes } from './docs.js'
import { registerEventRoutes } from './events.js'
import { collectParamRoute, registerLongParamRoutes, type ParamRoute } from './long-params.js'
import { collectRoute, openApiDocuments, type CollectedRoute, type OpenApiDocuments } from './openapi.js'
import { AppParams, SHARED_SCHEMAS, SignedQuery } from './schemas.js'
import { formatSchemaErrors } from './schema-errors.js'
import { registerUserRoutes } from './users.js'
import { loggableError } from '../../log-safe.js'
import { rawBodyParsers, verifySignatureHook } from './verify-signature.js'

export type { RestContext } from './context.js'

/** Every error leaves as `{statusCode, code, error, message}` with one of the codes of `refusals.ts`. */
function errorHandler (bodyLimit: number) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    if (error.validation !== undefined) {
      void reply.send(new InvalidRequestError(error.message))
      return
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      void reply.send(new BodyTooLargeError(bodyLimit))
      return
    }
    const failed = (error.statusCode ?? 500) >= 500
    if (failed) request.log.error({ err: loggableError(error) }, 'broadcastt REST request failed')
    // A failure without a code of ours (an adapter timeout, a bug) still answers with a code of the table.
    void reply.send(failed && !String(error.code).startsWith('FST_BROADCASTT_') ? new InternalError(error.message) : error)
  }
}

/**
 * Node answers a request carrying `Expect:` with anything but `100-continue` with 417 unless someone
 * listens. The Broadcastt PHP SDK sends an empty `Expect:` (to stop curl's `100-continue`): serve such a
 * request normally and keep the 417 for real expectations.
 */
function acceptEmptyExpect (scope: FastifyInstance): void {
  const server = scope.server as Server
  if (typeof server.on !== 'function' || server.listenerCount('checkExpectation') > 0) return
  const onExpect = (req: IncomingMessage, res: ServerResponse): void => {
    if (String(req.headers.expect).trim() === '') {
      server.emit('request', req, res)
      return
    }
    res.writeHead(417, { 'content-type': 'text/plain' })
    res.end('Expectation Failed')
  }
  server.on('checkExpectation', onExpect)
  scope.addHook('onClose', async () => { server.off('checkExpectation', onExpect) })
}

/**
 * The parts of a route's schema the signature gate has already proven, left out of its runtime validation
 * (the OpenAPI document keeps them): a verified request's query holds each signing parameter once, in the
 * form `SignedQuery` describes (the gate answers 401 otherwise, before any validation), and its `app_id` is
 * a string. Fastify would otherwise run both validators on every signed request.
 */
function skipVerifiedParts (route: RouteOptions): void {
  const schema = route.schema
  if (schema === undefined || (schema.querystring !== SignedQuery && schema.params !== AppParams)) return
  const { querystring, params, ...rest } = schema
  route.schema = {
    ...rest,
    ...(querystring === SignedQuery ? {} : { querystring }),
    ...(params === AppParams ? {} : { params })
  }
}

/**
 * Registers the REST API on a scope whose prefix is the plugin's `prefix`. The console's trigger form takes
 * from the same per-app backend rate (`rate.ts`, kept by the adapter).
 */
export async function registerRestApi (scope: FastifyInstance, ctx: RestContext): Promise<void> {
  const { rest } = ctx.options
  const routes: CollectedRoute[] = []
  let documents: OpenApiDocuments | undefined
  registerDocsRoutes(scope, {
    openapi: rest.openapi,
    docs: rest.docs,
    documents: () => (documents ??= openApiDocuments(routes, SHARED_SCHEMAS))
  })
  acceptEmptyExpect(scope)
  await scope.register(async (api) => {
    for (const schema of SHARED_SCHEMAS) api.addSchema(schema)
    rawBodyParsers(api, rest.bodyLimit)
    api.setSchemaErrorFormatter(formatSchemaErrors)
    api.setErrorHandler(errorHandler(rest.bodyLimit))
    api.setNotFoundHandler((request, reply) => {
      void reply.send(new RouteNotFoundError(request.method, (request.raw.url ?? request.url).split('?')[0]?.slice(0, 200)))
    })
    const paramRoutes: ParamRoute[] = []
    api.addHook('onRoute', (route) => {
      collectRoute(routes, route)
      collectParamRoute(paramRoutes, route)
      skipVerifiedParts(route)
    })
    verifySignatureHook(api, ctx)
    readRateHook(api, ctx)
    registerEventRoutes(api, ctx)
    registerChannelRoutes(api, ctx)
    registerUserRoutes(api, ctx)
    registerLongParamRoutes(api, paramRoutes)
  }, { prefix: '/apps/:app_id' })
}
