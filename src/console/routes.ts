/**
 * The console's HTTP side, on its own scope at `{prefix}{console.path}`: the pages and the bundle, the login
 * and logout, and the API the page uses (apps, the live stream, the trigger form). Every request first takes
 * a token of its client address's request budget (429 past it); wrong tokens also spend the stricter login
 * budget. The API answers 401 without the token or a session, before anything about the apps is read.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { App } from '../apps/app-store.js'
import {
  AppDisabledError, InvalidRequestError, RateLimitedError, RouteNotFoundError, ShuttingDownError, UnauthorizedError,
  UnknownAppError
} from '../errors.js'
import { planEvent, publishPlanned } from '../routes/http/events.js'
import type { RestContext } from '../routes/http/context.js'
import { ref, TriggerEvent } from '../routes/http/schemas.js'
import { ConsoleAuth, sessionCookie } from './auth.js'
import { ASSET_TYPES } from './assets.js'
import { summary, type ConsoleFeed } from './feed.js'
import { consolePage, loginPage, SECURITY_HEADERS } from './page.js'
import { AddressRate } from './rate.js'
import { SseClient } from './stream.js'

export interface ConsoleRouteDeps {
  readonly base: string
  readonly auth: ConsoleAuth
  readonly feed: ConsoleFeed
  readonly assets: ReadonlyMap<string, Buffer>
  readonly listApps: () => Promise<App[]>
  /** The REST API's context: the trigger form goes through its rules and its backend rate. */
  readonly rest: RestContext
  /** What the page says about the node it shows. */
  readonly node: { id: string, adapter: string }
}

/** Requests per second of one client address (pages, bundle, API), and the burst it may start with. */
export const REQUEST_RATE = { perSecond: 10, burst: 40 }
/** Wrong tokens one client address may try per minute, and in a burst. */
export const LOGIN_RATE = { perSecond: 10 / 60, burst: 10 }

const AppQuery = Type.Object({ app: Type.String({ minLength: 1, maxLength: 200 }) })
const AppParams = Type.Object({ appId: Type.String({ minLength: 1, maxLength: 200 }) })

function html (reply: FastifyReply, status: number, body: string): string {
  void reply.code(status).headers(SECURITY_HEADERS).type('text/html; charset=utf-8')
  return body
}

export function registerConsoleRoutes (scope: FastifyInstance, deps: ConsoleRouteDeps): void {
  const { base, auth } = deps
  const now = deps.rest.now
  const requests = new AddressRate(REQUEST_RATE.perSecond, REQUEST_RATE.burst)
  const logins = new AddressRate(LOGIN_RATE.perSecond, LOGIN_RATE.burst)
  const secure = (request: FastifyRequest): boolean => request.protocol === 'https'

  scope.addHook('onRequest', async (request, reply) => {
    if (requests.take(request.ip, now())) return
    void reply.header('retry-after', String(requests.retryAfter(request.ip, now())))
    throw new RateLimitedError('Too many console requests from this address')
  })
  /** A wrong token spends the login budget: 429 once it is empty. */
  const guessed = (request: FastifyRequest, reply: FastifyReply): void => {
    if (logins.take(request.ip, now())) return
    void reply.header('retry-after', String(logins.retryAfter(request.ip, now())))
    throw new RateLimitedError('Too many wrong console tokens from this address')
  }
  const refuse = (request: FastifyRequest, reply: FastifyReply): string => {
    guessed(request, reply)
    return html(reply, 401, loginPage(base, true))
  }
  const loggedIn = (request: FastifyRequest, reply: FastifyReply): void => {
    void reply.code(303).headers(SECURITY_HEADERS).header('location', base)
      .header('set-cookie', sessionCookie(auth.newSession(), base, secure(request)))
  }

  scope.get('/', async (request, reply) => {
    const token = (request.query as { token?: unknown }).token
    if (typeof token === 'string') {
      if (!auth.isToken(token)) return refuse(request, reply)
      loggedIn(request, reply) // the token leaves the address bar: the redirect drops the query
      return ''
    }
    const access = auth.check(request.headers)
    if (access === 'allowed') return html(reply, 200, consolePage(base))
    if (access === 'wrong') return refuse(request, reply)
    return html(reply, 401, loginPage(base, false))
  })

  if (!scope.hasContentTypeParser('application/x-www-form-urlencoded')) {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 },
      (_request, body, done) => { done(null, Object.fromEntries(new URLSearchParams(body as string))) })
  }
  scope.post('/login', async (request, reply) => {
    const token = (request.body as { token?: unknown } | undefined)?.token
    if (typeof token !== 'string' || !auth.isToken(token)) return refuse(request, reply)
    loggedIn(request, reply)
    return ''
  })
  scope.post('/logout', async (request, reply) => {
    void reply.code(303).headers(SECURITY_HEADERS).header('location', base).header('set-cookie', sessionCookie('', base, secure(request)))
    return ''
  })

  scope.get('/assets/:file', async (request, reply) => {
    const { file } = request.params as { file: string }
    const body = deps.assets.get(file)
    if (body === undefined) throw new RouteNotFoundError('GET', `${base}/assets/${file.slice(0, 100)}`)
    void reply.header('content-type', ASSET_TYPES[file]).header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
    return body
  })

  scope.register(async (api) => { registerApi(api, deps, guessed) }, { prefix: '/api' })
}

function registerApi (api: FastifyInstance, deps: ConsoleRouteDeps,
  guessed: (request: FastifyRequest, reply: FastifyReply) => void): void {
  const { auth, rest, listApps, feed } = deps
  api.addHook('onRequest', async (request, reply) => {
    void reply.headers(SECURITY_HEADERS)
    const access = auth.check(request.headers)
    if (access === 'allowed') return
    if (access === 'wrong') guessed(request, reply)
    throw new UnauthorizedError('The console needs its token (Authorization: Bearer) or a login')
  })
  api.setErrorHandler((error: FastifyError, _request, reply) => {
    void reply.send(error.validation === undefined ? error : new InvalidRequestError(error.message))
  })
  const appById = async (appId: string): Promise<App> => {
    const app = (await listApps()).find((candidate) => candidate.id === appId)
    if (app === undefined) throw new UnknownAppError(appId.slice(0, 100))
    return app
  }
  const scope = api.withTypeProvider<TypeBoxTypeProvider>()

  scope.get('/apps', async () => ({
    node: deps.node,
    apps: (await listApps()).map((app) => summary(rest.hub, app))
  }))

  scope.get('/stream', { schema: { querystring: AppQuery } }, async (request, reply) => {
    const app = await appById(request.query.app)
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      'x-accel-buffering': 'no'
    })
    res.write(`retry: 2000\n\n: ${app.id}\n\n`)
    const tab = new SseClient(res, app.id)
    feed.add(tab)
    res.on('close', () => { feed.remove(tab) })
  })

  scope.addSchema(TriggerEvent)
  scope.post('/apps/:appId/events', { schema: { params: AppParams, body: ref(TriggerEvent) } }, async (request, reply) => {
    if (rest.draining()) throw new ShuttingDownError()
    const app = await appById(request.params.appId)
    if (!app.enabled) throw new AppDisabledError(app.id)
    return await publishPlanned(rest, reply, app, [planEvent(app, request.body, '')], false)
  })
}
