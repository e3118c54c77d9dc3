/**
 * The `authorize` option: channel authorization and user authentication served in-process, with the
 * host's own request (sessions, JWT, `@fastify/auth`) deciding. Its callbacks are split off before the
 * TypeBox options schema sees them; its plain fields are validated here, errors naming the path.
 */
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { FastifyRequest, RouteShorthandOptions } from 'fastify'
import { InvalidOptionsError } from '../errors.js'
import type { ChannelKind } from '../protocol/channel-name.js'

/** The kinds of channel a subscription needs a signature for. */
export type AuthorizedChannelKind = Extract<ChannelKind, 'private' | 'presence' | 'encrypted'>

/** What a channel callback is asked. */
export interface ChannelAuthorizationRequest {
  appId: string
  /** `<digits>.<digits>`, already validated. */
  socketId: string
  /** A valid channel name that needs a signature. */
  channel: string
  kind: AuthorizedChannelKind
}

/** What a user callback is asked. */
export interface UserAuthenticationRequest {
  appId: string
  socketId: string
}

/** A presence channel member, as signed into `channel_data`. */
export interface PresenceMember {
  user_id: string | number
  user_info?: unknown
}

/** A signed-in user, as signed into `user_data`. */
export interface UserData {
  id: string
  user_info?: unknown
  /** User ids whose online status the user follows (app option `watchlist`). */
  watchlist?: string[]
}

/** `false`: refused (403). `true`: a private or encrypted channel is allowed. A member: presence channels. */
export type ChannelAuthorization = boolean | PresenceMember

export type ChannelAuthorizer<Request = FastifyRequest> =
  (request: Request, subject: ChannelAuthorizationRequest) => ChannelAuthorization | Promise<ChannelAuthorization>

/** `false`: refused (403); otherwise the user the connection signs in as. */
export type UserAuthenticator<Request = FastifyRequest> =
  (request: Request, subject: UserAuthenticationRequest) => UserData | false | Promise<UserData | false>

export interface AuthorizeOptions<Request = FastifyRequest> {
  /** Channel authorization route (pusher-js `channelAuthorization.endpoint`, Echo `authEndpoint`). */
  path?: string
  /** User authentication route for sign-in (pusher-js `userAuthentication.endpoint`). */
  userPath?: string
  /** The app the routes sign for: an id, or one per request. Default: the only app. */
  appId?: string | ((request: Request) => string | Promise<string>)
  /** Decides channel subscriptions; without it the channel route is not served. */
  channel?: ChannelAuthorizer<Request>
  /** Decides sign-ins; without it the user route is not served. */
  user?: UserAuthenticator<Request>
  /** Route-level hooks for the two routes, e.g. `[fastify.authenticate]` with `@fastify/jwt`. */
  onRequest?: NonNullable<RouteShorthandOptions['onRequest']>
  preHandler?: NonNullable<RouteShorthandOptions['preHandler']>
  /** Bytes of a request body (default 16 KiB). */
  bodyLimit?: number
}

const PATH = '^(/[^/?#]+)+$'

export const AuthorizePathsSchema = Type.Object({
  path: Type.String({ pattern: PATH, default: '/broadcasting/auth' }),
  userPath: Type.String({ pattern: PATH, default: '/broadcasting/user-auth' }),
  appId: Type.Optional(Type.String({ minLength: 1 })),
  bodyLimit: Type.Integer({ minimum: 256, default: 16 * 1024 })
}, { additionalProperties: false })

type AuthorizePaths = Static<typeof AuthorizePathsSchema>

type RouteHooks = Pick<RouteShorthandOptions, 'onRequest' | 'preHandler'>

/** The `authorize` option after validation. */
export interface ResolvedAuthorize extends AuthorizePaths {
  appOf: (request: FastifyRequest) => string | Promise<string>
  channel?: ChannelAuthorizer
  user?: UserAuthenticator
  routeOptions: RouteHooks
}

/**
 * Validates `options.authorize` against the static app ids (`dynamic`: an app store may hold others);
 * undefined when no routes are asked for.
 */
export function resolveAuthorize (input: unknown, appIds: readonly string[], dynamic = false, root = 'options.authorize'):
  ResolvedAuthorize | undefined {
  if (input === undefined) return undefined
  if (typeof input !== 'object' || input === null) throw new InvalidOptionsError(`${root}: Expected object`)
  const { channel, user, onRequest, preHandler, appId, ...rest } = input as Record<string, unknown>
  for (const [name, value] of Object.entries({ channel, user, onRequest, preHandler })) {
    if (value === undefined || typeof value === 'function') continue
    if ((name === 'onRequest' || name === 'preHandler') && Array.isArray(value) &&
      value.every((hook) => typeof hook === 'function')) continue
    throw new InvalidOptionsError(`${root}.${name}: Expected function`)
  }
  if (channel === undefined && user === undefined) {
    throw new InvalidOptionsError(`${root}: give a channel callback, a user callback or both`)
  }
  const plain = Value.Default(AuthorizePathsSchema, Value.Clone(typeof appId === 'function' ? rest : { ...rest, appId }))
  const first = Value.Errors(AuthorizePathsSchema, plain).First()
  if (first !== undefined) throw new InvalidOptionsError(`${root}${first.path.replaceAll('/', '.')}: ${first.message}`)
  const paths = plain as AuthorizePaths
  if (paths.path === paths.userPath) throw new InvalidOptionsError(`${root}.userPath: must differ from path`)
  return {
    ...paths,
    appOf: appResolver(appId, appIds, dynamic, root),
    ...(channel === undefined ? {} : { channel: channel as ChannelAuthorizer }),
    ...(user === undefined ? {} : { user: user as UserAuthenticator }),
    routeOptions: {
      ...(onRequest === undefined ? {} : { onRequest: onRequest as NonNullable<RouteHooks['onRequest']> }),
      ...(preHandler === undefined ? {} : { preHandler: preHandler as NonNullable<RouteHooks['preHandler']> })
    }
  }
}

function appResolver (appId: unknown, appIds: readonly string[], dynamic: boolean, root: string): ResolvedAuthorize['appOf'] {
  if (typeof appId === 'function') return appId as ResolvedAuthorize['appOf']
  if (typeof appId === 'string') {
    if (!dynamic && !appIds.includes(appId)) throw new InvalidOptionsError(`${root}.appId: no app has the id "${appId}"`)
    return () => appId
  }
  const [only] = appIds
  if (dynamic || appIds.length !== 1 || only === undefined) {
    throw new InvalidOptionsError(`${root}.appId: required when there is not exactly one app${dynamic ? ' (an app store may hold more)' : ''}`)
  }
  return () => only
}
