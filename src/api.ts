/**
 * The programmatic API decorated as `fastify.broadcastt`: in-process code publishes and queries through
 * the same hub as the WebSocket and REST sides.
 */
import type { App } from './apps/app-store.js'
import type { AppRegistry } from './apps/registry.js'
import { createAuthorizationHelpers, type AuthorizationHelpers } from './authorize/helpers.js'
import { EventTooLargeError, InvalidEventError, MetricsDisabledError, UnknownAppError } from './errors.js'
import { cacheInfo, type CacheInfo } from './hub/cache.js'
import type { HubEvents } from './hub/events.js'
import type { Hub } from './hub/hub.js'
import { publishEvent, triggerProblem } from './hub/trigger.js'
import { userChannel } from './protocol/channel-name.js'
import type { Metrics } from './metrics/prometheus.js'
import type { Readiness } from './routes/operations.js'
import { dict } from './protocol/dict.js'

export type { CacheInfo }

export interface TriggerInput {
  appId: string
  channels: readonly string[]
  /** Event name. */
  name: string
  /** A string is delivered as is; any other JSON value is serialized. */
  data: unknown
  /** This connection does not receive the event. */
  socketId?: string
}

export interface ChannelInfo {
  subscriptionCount: number
  /** Distinct users; presence channels only. */
  userCount?: number
}

/** A presence channel member. */
export interface ChannelMember {
  id: string
  /** The member's `user_info`; null when it sent none. */
  info: unknown
}

export interface ChannelState extends ChannelInfo {
  occupied: boolean
}

/** Also signs channel and user authorizations in-process (`authorizeChannel`, `authenticateUser`). */
export interface BroadcasttApi extends AuthorizationHelpers {
  /** Publishes an event to channels; rejects with a coded error (400/404/413) when the event is refused. */
  trigger (event: TriggerInput): Promise<void>
  /** Occupied channels of an app, optionally only those whose name starts with `prefix`. */
  channels (appId: string, options?: { prefix?: string }): Promise<Record<string, ChannelInfo>>
  /** The state of one channel (`userCount` on presence channels). */
  channel (appId: string, name: string): Promise<ChannelState>
  /** The members of a presence channel, one per user, cluster-wide. */
  members (appId: string, channel: string): Promise<ChannelMember[]>
  /** The cached event of a cache channel and its seconds left, or undefined when there is none. */
  cache (appId: string, channel: string): Promise<CacheInfo | undefined>
  /** Publishes an event to every connection of a user that subscribed to `#server-to-user-{userId}`. */
  sendToUser (appId: string, userId: string, name: string, data: unknown): Promise<void>
  /** Closes every connection signed in as the user, cluster-wide, with 4009. */
  terminateUser (appId: string, userId: string): Promise<void>
  /** Listens to what happens in the hub. */
  on<E extends keyof HubEvents> (event: E, listener: (...args: HubEvents[E]) => void): BroadcasttApi
  off<E extends keyof HubEvents> (event: E, listener: (...args: HubEvents[E]) => void): BroadcasttApi
  /**
   * The Prometheus exposition text and its content type, to serve on a port of your choice; rejects with
   * `FST_BROADCASTT_METRICS_DISABLED` unless `metrics.enabled`.
   */
  metrics (): Promise<{ contentType: string, body: string }>
  /**
   * What `GET /ready` answers: 'ready', 'degraded' (serving, but the app store is unreachable), or why not
   * ('starting', 'draining', 'adapter_unavailable').
   */
  readiness (): Readiness
  /**
   * Tells every node (through the adapter) that an app of the host's `appStore` changed: each reloads it and
   * applies it to its open connections (deleted → closed 4001, disabled → 4003, else the new settings).
   * Resolves once this node has applied it. The PostgreSQL store needs no call: its trigger notifies.
   */
  appChanged (appId: string): Promise<void>
  /**
   * A sync point for tests. Resolves once the work this node had started before the call is done (handling
   * the frames it had read, presence leaves and unsubscriptions after a close) and this node has received,
   * and handed to its sockets, every message whose publication had completed on any node before the call
   * (the adapter's `barrier`). Across a cluster: call it on every node, wait for all, then once more.
   */
  settle (): Promise<void>
}

/** What the API reads from the plugin's operational side. */
export interface ApiOperations {
  metrics: Metrics | undefined
  readiness: () => Readiness
}

export function createApi (hub: Hub, apps: AppRegistry, ops: ApiOperations): BroadcasttApi {
  /** For the synchronous helpers: a store app must be cached on this node (a connection or request loaded it). */
  const cachedApp = (appId: string): App => {
    const app = apps.peekId(appId)
    if (app !== undefined && app !== null) return app
    throw new UnknownAppError(app === null ? appId : `${appId} (not loaded on this node yet)`)
  }
  const appOf = async (appId: string): Promise<App> => {
    const app = await apps.byId(appId)
    if (app === undefined) throw new UnknownAppError(appId)
    return app
  }
  const api: BroadcasttApi = {
    ...createAuthorizationHelpers(cachedApp),
    async trigger (event) {
      const app = await appOf(event.appId)
      const problem = triggerProblem(app, event)
      if (problem !== undefined) {
        throw problem.status === 413 ? new EventTooLargeError(problem.message) : new InvalidEventError(problem.message)
      }
      await publishEvent(hub, app, event)
    },
    async channels (appId, options = {}) {
      const app = await appOf(appId)
      const out = dict<ChannelInfo>()
      for (const [name, counts] of await hub.channels(app.id, options.prefix)) out[name] = counts
      return out
    },
    async channel (appId, name) {
      const app = await appOf(appId)
      const counts = await hub.channel(app.id, name)
      return { occupied: counts.subscriptionCount > 0, ...counts }
    },
    async members (appId, channel) {
      const app = await appOf(appId)
      return (await hub.members(app.id, channel)).map(({ id, info }) => ({ id, info }))
    },
    async cache (appId, channel) {
      return await cacheInfo(hub, (await appOf(appId)).id, channel)
    },
    async sendToUser (appId, userId, name, data) {
      await api.trigger({ appId, channels: [userChannel(userId)], name, data })
    },
    async terminateUser (appId, userId) {
      await hub.terminateUser((await appOf(appId)).id, userId)
    },
    on (event, listener) {
      hub.events.on(event, listener as never)
      return api
    },
    off (event, listener) {
      hub.events.off(event, listener as never)
      return api
    },
    async metrics () {
      if (ops.metrics === undefined) throw new MetricsDisabledError()
      return { contentType: ops.metrics.registry.contentType, body: await ops.metrics.render() }
    },
    readiness: () => ops.readiness(),
    async appChanged (appId) {
      // Every node receives it, this one included (at once): wait for this node's reload.
      await hub.publish({ type: 'app_changed', appId })
      await apps.settled(appId)
    },
    async settle () {
      await hub.settle()
      await hub.adapter.barrier?.()
    }
  }
  return api
}
