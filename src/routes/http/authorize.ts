/**
 * The in-process auth routes (`authorize` option): channel authorization at `path` and user authentication
 * at `userPath`, decided by the host's callbacks with the host's request. They live in their own scope, so
 * the host's hooks (sessions, JWT, `@fastify/auth`) run first, and the form parser added here (pusher-js and
 * Laravel Echo post `application/x-www-form-urlencoded`) stays out of the host's routes. JSON bodies
 * (broadcastt-js) go through the host's JSON parser.
 */
import { parse as parseQueryString } from 'node:querystring'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { App } from '../../apps/app-store.js'
import type { AppRegistry } from '../../apps/registry.js'
import type { AuthorizationHelpers, ChannelAuthResponse, UserAuthResponse } from '../../authorize/helpers.js'
import { socketIdProblem } from '../../authorize/helpers.js'
import type { AuthorizedChannelKind, PresenceMember, ResolvedAuthorize, UserData } from '../../authorize/options.js'
import {
  AuthorizationDeniedError, InvalidAuthorizationError, InvalidRequestError, UnknownAppError
} from '../../errors.js'
import { channelNameProblem, channelType } from '../../protocol/channel-name.js'

export interface AuthorizeRouteContext {
  readonly apps: AppRegistry
  readonly authorize: ResolvedAuthorize
  readonly helpers: AuthorizationHelpers
}

const FORM = 'application/x-www-form-urlencoded'

export async function registerAuthorizeRoutes (fastify: FastifyInstance, ctx: AuthorizeRouteContext): Promise<void> {
  await fastify.register(async (scope) => {
    if (!scope.hasContentTypeParser(FORM)) {
      // Repeated keys become arrays, which the checks below refuse; the result has no prototype.
      scope.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => {
        done(null, parseQueryString(body as string))
      })
    }
    scope.setErrorHandler(errorHandler)
    const { authorize } = ctx
    const options = { bodyLimit: authorize.bodyLimit, ...authorize.routeOptions }
    if (authorize.channel !== undefined) {
      const decide = authorize.channel
      scope.post(authorize.path, options, async (request, reply) => {
        noStore(reply)
        return await authorizeChannel(ctx, request, decide)
      })
    }
    if (authorize.user !== undefined) {
      const decide = authorize.user
      scope.post(authorize.userPath, options, async (request, reply) => {
        noStore(reply)
        return await authenticateUser(ctx, request, decide)
      })
    }
  })
}

async function authorizeChannel (
  ctx: AuthorizeRouteContext, request: FastifyRequest, decide: NonNullable<ResolvedAuthorize['channel']>
): Promise<ChannelAuthResponse> {
  const app = await appOf(ctx, request)
  const appId = app.id
  const body = fields(request.body)
  const socketId = body.socket_id
  const channel = body.channel_name
  const problem = socketIdProblem(socketId) ?? channelNameProblem(channel, app.limits.nameLength)
  if (problem !== undefined || typeof socketId !== 'string' || typeof channel !== 'string') {
    throw new InvalidRequestError(problem ?? 'socket_id and channel_name are required')
  }
  const kind = channelType(channel).kind
  if (kind === 'public' || kind === 'user') {
    throw new InvalidRequestError(`${channel} is not a private, presence or encrypted channel; it needs no authorization`)
  }
  const decision = await decide(request, { appId, socketId, channel, kind })
  if (decision === false) throw new AuthorizationDeniedError(`Not allowed to subscribe to ${channel}`)
  return ctx.helpers.authorizeChannel(appId, socketId, channel, presenceMember(decision, kind, channel))
}

async function authenticateUser (
  ctx: AuthorizeRouteContext, request: FastifyRequest, decide: NonNullable<ResolvedAuthorize['user']>
): Promise<UserAuthResponse> {
  const appId = (await appOf(ctx, request)).id
  const { socket_id: socketId } = fields(request.body)
  const problem = socketIdProblem(socketId)
  if (problem !== undefined || typeof socketId !== 'string') throw new InvalidRequestError(problem ?? 'socket_id is required')
  const user: UserData | false = await decide(request, { appId, socketId })
  if (user === false) throw new AuthorizationDeniedError('Not allowed to sign in')
  return ctx.helpers.authenticateUser(appId, socketId, user)
}

async function appOf (ctx: AuthorizeRouteContext, request: FastifyRequest): Promise<App> {
  const appId: unknown = await ctx.authorize.appOf(request)
  const app = typeof appId === 'string' ? await ctx.apps.byId(appId) : undefined
  if (app === undefined) throw new UnknownAppError(String(appId))
  return app
}

/** The member a presence channel signs; undefined for the other kinds, which need `true` (or a member). */
function presenceMember (decision: unknown, kind: AuthorizedChannelKind, channel: string): PresenceMember | undefined {
  if (kind === 'presence') {
    if (typeof decision === 'object' && decision !== null) return decision as PresenceMember
    throw new InvalidAuthorizationError(`The channel callback must return { user_id, user_info } for ${channel}`)
  }
  if (decision === true || (typeof decision === 'object' && decision !== null)) return undefined
  throw new InvalidAuthorizationError(`The channel callback must return true or false for ${channel}`)
}

/** The fields of a form or JSON body; anything else (no body, an array, a string) has none. */
function fields (body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? body as Record<string, unknown> : {}
}

/** A signature is for one socket: never cached by a browser or a proxy. */
function noStore (reply: FastifyReply): void {
  void reply.header('cache-control', 'no-store')
}

/**
 * The plugin's own refusals leave as `{statusCode, code, error, message}` JSON (500s are logged); every other
 * error, such as a host hook's 401, goes on to the host's error handler.
 */
function errorHandler (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (!String(error.code).startsWith('FST_BROADCASTT_')) throw error
  if ((error.statusCode ?? 500) >= 500) request.log.error({ err: error }, 'broadcastt authorization failed')
  void reply.code(error.statusCode ?? 500).send(error)
}
