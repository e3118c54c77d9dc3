/**
 * fastify-broadcastt: `fastify.register(broadcastt, options)`. Wiring only — the protocol, hub, adapters
 * and routes live in their own modules.
 */
import fp from 'fastify-plugin'
import websocket from '@fastify/websocket'
import type { FastifyInstance } from 'fastify'
import { createApi, type BroadcasttApi } from './api.js'
import { StaticAppStore } from './apps/app-store.js'
import { MemoryAdapter } from './adapters/memory.js'
import { Heartbeat, systemClock } from './hub/heartbeat.js'
import { Hub } from './hub/hub.js'
import { resolveOptions, type BroadcasttOptions } from './options.js'
import { checkHostMaxPayload, drainConnections, refuseUnknownPaths, registerWsRoutes, type WsContext } from './routes/ws.js'
import { registerRestApi } from './routes/http/index.js'
import { resolveAuthorize } from './authorize/options.js'
import { registerAuthorizeRoutes } from './routes/http/authorize.js'
import { startWebhooks } from './webhooks/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    broadcastt: BroadcasttApi
  }
}

/** How long shutdown waits for clients to answer the 4200 close before cutting them off. */
const DRAIN_GRACE_MS = 2000

async function broadcastt (fastify: FastifyInstance, input: BroadcasttOptions): Promise<void> {
  const options = resolveOptions(input)
  const authorize = resolveAuthorize(input.authorize, options.apps.map((app) => app.id))
  const apps = new StaticAppStore(options.apps)
  const clock = input.clock ?? systemClock
  const ownsAdapter = input.adapter === undefined
  const hub = new Hub(input.adapter ?? new MemoryAdapter({ now: () => clock.now() }), {
    clock,
    adapterTimeoutMs: options.adapterTimeoutMs,
    onError: (err) => { fastify.log.error({ err }, 'broadcastt: background work failed') }
  })
  await hub.start()
  const heartbeat = new Heartbeat(clock, options.activityTimeout * 1000,
    options.pongTimeout * 1000, () => hub.connections())
  const ctx: WsContext = { hub, heartbeat, apps, options, log: fastify.log, draining: false }

  if (!fastify.hasDecorator('websocketServer')) {
    const maxPayload = Math.max(1024, ...options.apps.map((app) => app.limits.frameBytes))
    await fastify.register(websocket, {
      options: { maxPayload, perMessageDeflate: false, clientTracking: false },
      // Protocol errors (e.g. an oversized frame) close the socket themselves; they are not server errors.
      errorHandler: (error, socket) => {
        fastify.log.debug({ err: error }, 'websocket error')
        socket.terminate()
      },
      preClose: async () => { await drainConnections(ctx, DRAIN_GRACE_MS) }
    })
  } else {
    checkHostMaxPayload(fastify, options)
    fastify.addHook('preClose', async () => { await drainConnections(ctx, DRAIN_GRACE_MS) })
  }
  await fastify.register(async (routes) => { registerWsRoutes(routes, ctx) }, { prefix: options.prefix })
  refuseUnknownPaths(fastify, options.prefix)
  const rest = { hub, apps, options, now: () => clock.now(), draining: () => ctx.draining }
  await fastify.register(async (routes) => { await registerRestApi(routes, rest) }, { prefix: options.prefix })

  const api = createApi(hub, apps)
  fastify.decorate('broadcastt', api)
  if (authorize !== undefined) await registerAuthorizeRoutes(fastify, { apps, authorize, helpers: api })
  const webhooks = await startWebhooks(hub, options, clock, fastify.log)
  heartbeat.start()
  fastify.addHook('onClose', async () => {
    heartbeat.stop()
    await webhooks?.close()
    if (ownsAdapter) await hub.adapter.close()
  })
}

export default fp(broadcastt, { fastify: '5.x', name: 'fastify-broadcastt' })
export { broadcastt }
export type { BroadcasttOptions, AppInput, Clock } from './options.js'
export type { BroadcasttApi, TriggerInput, ChannelInfo, ChannelState, ChannelMember, CacheInfo } from './api.js'
export type { HubEvents } from './hub/events.js'
export type {
  AuthorizeOptions, ChannelAuthorizer, UserAuthenticator, ChannelAuthorization, ChannelAuthorizationRequest,
  UserAuthenticationRequest, PresenceMember, UserData, AuthorizedChannelKind
} from './authorize/options.js'
export type { AuthorizationHelpers, ChannelAuthResponse, UserAuthResponse } from './authorize/helpers.js'
