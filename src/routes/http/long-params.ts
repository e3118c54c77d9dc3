/**
 * Long path parameters. Fastify's router refuses a path parameter longer than the server's
 * `maxParamLength` (100 characters by default) with 414, but channel names may have 200 characters
 * (PROTOCOL.md §9) and user ids almost as many. `maxParamLength` is an option of the host's Fastify
 * server, which a plugin cannot change, so the REST scope serves such paths itself: for every route with a
 * parameter after `/apps/:app_id` it adds one hidden wildcard route (per method and static head, e.g.
 * `GET /channels/*`). The router only reaches it when no ordinary route matched; it then matches the rest
 * of the path against the collected routes, and only when the parameter is longer than `maxParamLength`
 * (the case the router refused) validates the query and body with that route's schemas and runs that
 * route's handler. Anything else is the usual 404.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, RouteOptions } from 'fastify'
import type { FastifySchemaValidationError } from 'fastify/types/schema.js'
import { formatSchemaErrors } from './schema-errors.js'

export interface ParamRoute {
  readonly method: string
  /** The static part of the path before the parameter, e.g. `/channels/`. */
  readonly head: string
  /** The parameter's name and the static part after it (e.g. `/users`). */
  readonly param: string
  readonly tail: string
  /** Slashes in the full path: a parameter holds one segment (an encoded `/` is `%2F`). */
  readonly slashes: number
  readonly schema: FastifySchema | undefined
  readonly handler: RouteOptions['handler']
}

const slashes = (path: string): number => path.split('/').length - 1

const PARAM = /^(?<head>[^:*]*\/):(?<param>[A-Za-z_]\w*)(?<tail>(?:\/[^:*]*)?)$/

/** Records a route of the scope (an `onRoute` hook) whose path ends in one parameter and a static part. */
export function collectParamRoute (found: ParamRoute[], route: RouteOptions & { prefix?: string }): void {
  const path = route.url.slice((route.prefix ?? '').length)
  const match = PARAM.exec(path)?.groups
  if (match === undefined || route.method === 'HEAD') return
  for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
    if (method === 'HEAD') continue
    found.push({
      method,
      head: match.head ?? '/',
      param: match.param ?? '',
      tail: match.tail ?? '',
      slashes: slashes(route.url),
      schema: route.schema,
      handler: route.handler
    })
  }
}

function check (request: FastifyRequest, schema: unknown, part: 'querystring' | 'body', value: unknown): void {
  if (schema === undefined) return
  const validate = request.compileValidationSchema(schema as Record<string, unknown>, part)
  if (validate(value)) return
  const error = formatSchemaErrors((validate.errors ?? []) as FastifySchemaValidationError[], part) as Error & { validation?: unknown }
  error.validation = validate.errors
  throw error
}

/** Runs the route whose parameter the rest of the path holds, or answers 404. */
async function dispatch (routes: readonly ParamRoute[], maxParamLength: number, scope: FastifyInstance,
  request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const rest = (request.params as Record<string, string>)['*'] ?? ''
  const pathSlashes = slashes((request.raw.url ?? request.url).split('?')[0] ?? '')
  for (const route of routes) {
    if (pathSlashes !== route.slashes || !rest.endsWith(route.tail)) continue
    const value = rest.slice(0, rest.length - route.tail.length)
    if (value.length <= maxParamLength) continue
    const { app_id: appId } = request.params as { app_id?: string }
    request.params = { ...(appId === undefined ? {} : { app_id: appId }), [route.param]: value }
    check(request, route.schema?.querystring, 'querystring', request.query)
    check(request, route.schema?.body, 'body', request.body)
    return await (route.handler as (this: FastifyInstance, req: FastifyRequest, rep: FastifyReply) => unknown)
      .call(scope, request, reply)
  }
  reply.callNotFound()
  return reply
}

/** Adds the hidden wildcard routes for the collected routes; call after every route of the scope exists. */
export function registerLongParamRoutes (scope: FastifyInstance, found: readonly ParamRoute[]): void {
  const { maxParamLength } = scope.initialConfig as { maxParamLength?: number }
  const groups = new Map<string, ParamRoute[]>()
  for (const route of found) {
    const key = `${route.method} ${route.head}`
    groups.set(key, [...(groups.get(key) ?? []), route])
  }
  for (const routes of groups.values()) {
    const [first] = routes
    if (first === undefined) continue
    // Longer static tails first: `/channels/{name}/users` before `/channels/{name}`.
    const ordered = [...routes].sort((a, b) => b.tail.length - a.tail.length)
    scope.route({
      method: first.method as 'GET',
      url: `${first.head}*`,
      handler: async function (request, reply) { return await dispatch(ordered, maxParamLength ?? 100, scope, request, reply) }
    })
  }
}
