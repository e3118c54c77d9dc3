/**
 * fastify-broadcastt: `fastify.register(broadcastt, options)`. Wiring only — the protocol, hub, adapters
 * and routes live in their own modules.
 */
import fp from 'fastify-plugin'
import websocket from '@fastify/websocket'
import type { FastifyInstance } from 'fastify'
import { createApi, type BroadcasttApi } from './api.js'
import { createRegistry } from './apps/index.js'
import { applyAppChange } from './apps/changes.js'
import { createAdapter, isAdapterConfig } from './adapters/config.js'
import { Heartbeat, systemClock } from './hub/heartbeat.js'
import { Hub } from './hub/hub.js'
import { resolveOptions, type BroadcasttOptions } from './options.js'
import { checkHostMaxPayload, largestFrame, refuseUnknownPaths, registerWsRoutes, type WsContext } from './routes/ws.js'
import { registerRestApi, type RestContext } from './routes/http/index.js'
import { registerConsole } from './console/index.js'
import { addCloseHook, drainStep, type ShutdownDeps } from './lifecycle/shutdown.js'
import { createMetrics, type Metrics } from './metrics/prometheus.js'
import { Traffic } from './metrics/traffic.js'
import { registerOperationsRoutes, type Readiness } from './routes/operations.js'
import { resolveAuthorize } from './authorize/options.js'
import { registerAuthorizeRoutes } from './routes/http/authorize.js'
import { startWebhooks, type WebhookManager } from './webhooks/index.js'
import { loggableError } from './log-safe.js'
import { SubscriptionCounts } from './hub/subscription-counts.js'

declare module 'fastify' {
  interface FastifyInstance {
    broadcastt: BroadcasttApi
  }
}

async function broadcastt (fastify: FastifyInstance, input: BroadcasttOptions): Promise<void> {
  const options = resolveOptions(input)
  const authorize = resolveAuthorize(input.authorize, options.apps.map((app) => app.id), input.appStore !== undefined)
  const clock = input.clock ?? systemClock
  const { adapter, owned: ownsAdapter } = createAdapter(isAdapterConfig(input.adapter) ? options.adapter : input.adapter,
    () => clock.now(), fastify.log)
  const traffic = options.metrics.enabled ? new Traffic() : undefined
  const apps = createRegistry(options, input.appStore, () => clock.now(), fastify.log)
  const hub = new Hub(adapter, {
    clock,
    traffic,
    adapterTimeoutMs: options.adapterTimeoutMs,
    onAppChanged: async (appId) => { await apps.changed(appId) },
    onError: (err) => {
      if (traffic !== undefined) traffic.backgroundErrors++
      fastify.log.error({ err: loggableError(err) }, 'broadcastt: background work failed')
    }
  })
  apps.attach(hub, (id, app) => { applyAppChange(hub, id, app) })
  const counts = new SubscriptionCounts(hub, (id) => apps.peekId(id) ?? undefined, clock, options.subscriptionCountIntervalMs)
  const metrics = traffic === undefined ? undefined : createMetrics(hub, traffic, options, apps)
  const heartbeat = new Heartbeat(clock, options.activityTimeout * 1000,
    options.pongTimeout * 1000, () => hub.connections())
  const ctx: WsContext = { hub, heartbeat, apps, options, log: fastify.log, draining: false }
  const shutdown: ShutdownDeps = {
    ctx,
    clock,
    plan: options.shutdown,
    prefix: options.prefix,
    // Webhooks flush (or stay in their durable queue), then the adapter closes: both after the drain.
    closeOwned: async () => {
      heartbeat.stop()
      counts.close()
      metrics?.close()
      await webhooks?.close()
      if (ownsAdapter) await hub.adapter.close()
      await apps.close()
    }
  }
  let webhooks: WebhookManager | undefined
  let started = false
  const readiness = (): Readiness => ctx.draining
    ? 'draining'
    : !started ? 'starting' : !hub.adapter.ready() ? 'adapter_unavailable' : apps.available() ? 'ready' : 'degraded'
  const drain = drainStep(fastify, shutdown)
  try {
    await apps.start()
    await hub.start()
    await registerRoutes(fastify, ctx, drain.drain, metrics)
    await fastify.register(async (routes) => {
      registerOperationsRoutes(routes, {
        health: options.health, readiness, metrics: options.metrics.endpoint ? metrics : undefined
      })
    }, { prefix: options.prefix })
    const api = createApi(hub, apps, { metrics, readiness })
    fastify.decorate('broadcastt', api)
    if (authorize !== undefined) await registerAuthorizeRoutes(fastify, { apps, authorize, helpers: api })
    webhooks = await startWebhooks(hub, apps, options, clock, fastify.log)
  } catch (err) {
    // Registration failed after the adapter was started: close what the plugin created, then fail.
    await hub.settle()
    await shutdown.closeOwned()
    throw err
  }
  addCloseHook(fastify, shutdown, drain.stop)
  fastify.addHook('onReady', async () => { started = true })
  heartbeat.start()
}

async function registerRoutes (fastify: FastifyInstance, ctx: WsContext, drain: () => Promise<void>,
  metrics: Metrics | undefined): Promise<void> {
  const { options, hub, apps } = ctx
  if (!fastify.hasDecorator('websocketServer')) {
    const maxPayload = largestFrame(options, apps.dynamic)
    await fastify.register(websocket, {
      options: { maxPayload, perMessageDeflate: false, clientTracking: false },
      // Protocol errors (e.g. an oversized frame) close the socket themselves; they are not server errors.
      errorHandler: (error, socket) => {
        fastify.log.debug({ err: error }, 'websocket error')
        socket.terminate()
      },
      preClose: drain
    })
  } else {
    checkHostMaxPayload(fastify, options, apps.dynamic)
    fastify.addHook('preClose', drain)
  }
  await fastify.register(async (routes) => { registerWsRoutes(routes, ctx) }, { prefix: options.prefix })
  refuseUnknownPaths(fastify, options.prefix)
  const rest: RestContext = { hub, apps, options, now: () => hub.clock.now(), draining: () => ctx.draining }
  await fastify.register(async (routes) => {
    if (metrics !== undefined) routes.addHook('onResponse', metrics.onResponse)
    await registerRestApi(routes, rest)
  }, { prefix: options.prefix })
  const consoleToken = options.console.enabled ? options.console.token : undefined
  if (consoleToken !== undefined) await registerConsole(fastify, rest, consoleToken)
}

export default fp(broadcastt, { fastify: '5.x', name: 'fastify-broadcastt' })
export { broadcastt }
export type {
  BroadcasttOptions, AppInput, Clock, ResolvedOptions, AppConfig, AppLimits, RestOptions, MetricsOptions,
  ShutdownOptions, WebhookConfig, WebhookDeliveryOptions, WebhookEventType
} from './options.js'
export type { App, AppStore } from './apps/app-store.js'
export type { AppCacheOptions, PostgresAppStoreConfigInput } from './apps/store-options.js'
export type { AdapterConfig, RedisAdapterConfig, RedisClusterAdapterConfig } from './adapters/config.js'
export { RedisAdapter } from './adapters/redis.js'
export type { RedisAdapterOptions, AdapterLogger } from './adapters/redis-options.js'
export { MemoryAdapter, MemoryBroker, type MemoryAdapterOptions } from './adapters/memory.js'
export type {
  Adapter, LocalNode, Decisions, ClusterMessage, EventMessage, MemberMessage, TerminateMessage, WatchlistMessage,
  AppChangedMessage, ChannelCounts, PresenceMember as AdapterPresenceMember, AddMemberResult, RemovedMember, CacheEntry
} from './adapters/adapter.js'
export type { BroadcasttApi, TriggerInput, ChannelInfo, ChannelState, ChannelMember, CacheInfo } from './api.js'
export type { HubEvents } from './hub/events.js'
export type { Readiness } from './routes/operations.js'
export type {
  AuthorizeOptions, ChannelAuthorizer, UserAuthenticator, ChannelAuthorization, ChannelAuthorizationRequest,
  UserAuthenticationRequest, PresenceMember, UserData, AuthorizedChannelKind
} from './authorize/options.js'
export type { AuthorizationHelpers, ChannelAuthResponse, UserAuthResponse } from './authorize/helpers.js'
