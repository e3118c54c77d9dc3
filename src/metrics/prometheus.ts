/**
 * Prometheus metrics (prom-client), on a registry of this plugin instance (never the global one). Sources:
 * hub events for rare things (connections opened, closed, refused), the plain counters of `traffic.ts` for
 * the hot paths, and the hub's local index and `adapter.ready()` sampled at scrape time.
 *
 * Labels: `app` only, capped (`metrics.appLabels` apps, in configuration order and then store apps as first
 * seen, get their own value; the others share "other"), plus small closed sets (close code, kind, reason, route, method, status). Never a
 * channel or a socket.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AppRegistry } from '../apps/registry.js'
import type { Hub } from '../hub/hub.js'
import type { HubEvents } from '../hub/events.js'
import type { ResolvedOptions } from '../options.js'
import { WireError } from '../protocol/wire-errors.js'
import { KINDS, type AppTraffic, type Traffic } from './traffic.js'

/** Close codes that get their own label value; any other is "other". */
const KNOWN_CODES = new Set<number>([1000, 1001, 1005, 1006, 1009, 1011])
for (const spec of Object.values(WireError)) if (spec.code !== null) KNOWN_CODES.add(spec.code)

export function codeLabel (code: number | undefined): string {
  return code !== undefined && KNOWN_CODES.has(code) ? String(code) : 'other'
}

export interface Metrics {
  readonly registry: Registry
  /** The exposition text (`registry.contentType`). */
  render (): Promise<string>
  /** onResponse hook of the REST scope: requests by route and status. */
  onResponse (request: FastifyRequest, reply: FastifyReply, done: () => void): void
  /** Stops listening to the hub and drops every metric. */
  close (): void
}

type Listener<E extends keyof HubEvents> = (...args: HubEvents[E]) => void

/** The hub-event families: connections opened, closed (by code) and refused (by code). */
function connectionFamilies (registry: Registry, hub: Hub, app: (id: string | undefined) => string): () => void {
  const opened = new Counter({ name: 'broadcastt_connections_opened_total', help: 'Connections accepted', labelNames: ['app'], registers: [registry] })
  const closed = new Counter({
    name: 'broadcastt_connections_closed_total',
    help: 'Connections closed, by close code (the server\'s when it closed, else the client\'s; 1006: dropped)',
    labelNames: ['app', 'code'],
    registers: [registry]
  })
  const refused = new Counter({
    name: 'broadcastt_connections_refused_total', help: 'Upgrades refused, by close code', labelNames: ['app', 'code'], registers: [registry]
  })
  const onOpened: Listener<'connection_opened'> = ({ appId }) => { opened.inc({ app: app(appId) }) }
  const onClosed: Listener<'connection_closed'> = ({ appId, code }) => { closed.inc({ app: app(appId), code: codeLabel(code) }) }
  const onRefused: Listener<'connection_refused'> = ({ appId, code }) => { refused.inc({ app: app(appId), code: codeLabel(code) }) }
  hub.events.on('connection_opened', onOpened)
  hub.events.on('connection_closed', onClosed)
  hub.events.on('connection_refused', onRefused)
  return () => {
    hub.events.off('connection_opened', onOpened)
    hub.events.off('connection_closed', onClosed)
    hub.events.off('connection_refused', onRefused)
  }
}

/** Webhook outcomes, from the events the webhook manager emits on the hub. */
function webhookFamilies (registry: Registry, hub: Hub, app: (id: string) => string): () => void {
  const counter = (name: string, help: string, labelNames = ['app']) => new Counter({ name, help, labelNames, registers: [registry] })
  const delivered = counter('broadcastt_webhook_deliveries_total', 'Webhook requests answered 2xx')
  const retried = counter('broadcastt_webhook_retries_total', 'Webhook requests that failed and will be retried')
  const failed = counter('broadcastt_webhook_failures_total', 'Webhook deliveries given up (retry horizon passed)')
  const overflow = counter('broadcastt_webhook_overflow_events_total',
    'Webhook events dropped because the app\'s queue for their cause was full', ['app', 'cause'])
  const listeners = {
    webhook_delivered: ({ appId }: { appId: string }) => { delivered.inc({ app: app(appId) }) },
    webhook_retried: ({ appId }: { appId: string }) => { retried.inc({ app: app(appId) }) },
    webhook_failed: ({ appId }: { appId: string }) => { failed.inc({ app: app(appId) }) },
    webhook_overflow: ({ appId, cause, events }: { appId: string, cause: string, events: number }) => {
      overflow.inc({ app: app(appId), cause }, events)
    }
  }
  for (const [event, listener] of Object.entries(listeners)) hub.events.on(event as 'webhook_delivered', listener as never)
  return () => {
    for (const [event, listener] of Object.entries(listeners)) hub.events.off(event as 'webhook_delivered', listener as never)
  }
}

/** Sums the traffic counters of every app by label value (apps beyond the cap share "other"). */
function byLabel (traffic: Traffic, app: (id: string) => string): Map<string, AppTraffic[]> {
  const out = new Map<string, AppTraffic[]>()
  for (const [id, counters] of traffic.apps()) {
    const label = app(id)
    const list = out.get(label)
    if (list === undefined) out.set(label, [counters])
    else list.push(counters)
  }
  return out
}

const sum = (list: readonly AppTraffic[], read: (t: AppTraffic) => number): number =>
  list.reduce((total, t) => total + read(t), 0)

/** The families read from the traffic counters at scrape time. */
function trafficFamilies (registry: Registry, traffic: Traffic, app: (id: string) => string): void {
  const counter = (name: string, help: string, labelNames: string[], fill: (c: Counter, groups: Map<string, AppTraffic[]>) => void): void => {
    // eslint-disable-next-line no-new
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect () {
        this.reset()
        fill(this, byLabel(traffic, app))
      }
    })
  }
  counter('broadcastt_messages_received_total', 'Inbound WebSocket messages, by kind', ['app', 'kind'], (c, groups) => {
    for (const [label, list] of groups) {
      const clientEvents = sum(list, (t) => t.clientEventsIn)
      c.inc({ app: label, kind: 'client_event' }, clientEvents)
      c.inc({ app: label, kind: 'protocol' }, sum(list, (t) => t.framesIn) - clientEvents)
    }
  })
  counter('broadcastt_bytes_received_total', 'Inbound WebSocket message bytes (counted before decoding, so not by kind)', ['app'],
    (c, groups) => { for (const [label, list] of groups) c.inc({ app: label }, sum(list, (t) => t.bytesIn)) })
  counter('broadcastt_messages_sent_total', 'Messages sent to connections, by kind (one per receiving connection)', ['app', 'kind'],
    (c, groups) => {
      for (const [label, list] of groups) for (const kind of KINDS) c.inc({ app: label, kind }, sum(list, (t) => t.messagesOut[kind]))
    })
  counter('broadcastt_bytes_sent_total', 'Payload bytes sent to connections, by kind', ['app', 'kind'], (c, groups) => {
    for (const [label, list] of groups) for (const kind of KINDS) c.inc({ app: label, kind }, sum(list, (t) => t.bytesOut[kind]))
  })
  counter('broadcastt_adapter_publish_errors_total', 'Publishes the adapter failed', [], (c) => { c.inc(traffic.publishErrors) })
  counter('broadcastt_background_errors_total', 'Failures of background work (adapter calls nobody awaits, listener errors)', [],
    (c) => { c.inc(traffic.backgroundErrors) })
  counter('broadcastt_client_event_rate_refusals_total', 'Client events refused for the connection\'s rate (4301)', ['app'],
    (c, groups) => { for (const [label, list] of groups) c.inc({ app: label }, sum(list, (t) => t.clientEventRateRefusals)) })
  counter('broadcastt_frame_rate_refusals_total', 'Inbound frames dropped over the connection\'s frame budget (4303, 4100)', ['app'],
    (c, groups) => { for (const [label, list] of groups) c.inc({ app: label }, sum(list, (t) => t.frameRateRefusals)) })
}

/** Gauges sampled from the hub's local index and the adapter at scrape time. */
function stateFamilies (registry: Registry, hub: Hub, apps: () => Iterable<string>, app: (id: string) => string): void {
  const gauge = (name: string, help: string, read: (id: string) => number): void => {
    // eslint-disable-next-line no-new
    new Gauge({
      name,
      help,
      labelNames: ['app'],
      registers: [registry],
      collect () {
        this.reset()
        for (const id of apps()) this.inc({ app: app(id) }, read(id))
      }
    })
  }
  gauge('broadcastt_connections', 'Open connections on this node', (id) => hub.appConnectionCount(id))
  gauge('broadcastt_channels', 'Occupied channels on this node', (id) => hub.localStats(id).channels)
  gauge('broadcastt_subscriptions', 'Channel subscriptions on this node', (id) => hub.localStats(id).subscriptions)
  // eslint-disable-next-line no-new
  new Gauge({
    name: 'broadcastt_adapter_ready',
    help: '1 when the adapter reaches its shared state (Redis connected), else 0',
    registers: [registry],
    collect () { this.set(hub.adapter.ready() ? 1 : 0) }
  })
}

/** The app store: its queries, its cache and whether it answers (only with an `appStore`). */
function storeFamilies (registry: Registry, apps: AppRegistry): void {
  /* eslint-disable no-new -- registered in `registry`, read through it */
  new Counter({
    name: 'broadcastt_app_store_queries_total',
    help: 'Queries to the app store (apps not cached, reloads after changes and TTL)',
    registers: [registry],
    collect () { this.reset(); this.inc(apps.queries) }
  })
  new Gauge({
    name: 'broadcastt_app_store_cached_apps', help: 'Store apps cached on this node', registers: [registry], collect () { this.set(apps.cached) }
  })
  new Gauge({
    name: 'broadcastt_app_store_up',
    help: '1 when the app store answers (and, for PostgreSQL, its notifications arrive), else 0',
    registers: [registry],
    collect () { this.set(apps.available() ? 1 : 0) }
  })
  /* eslint-enable no-new */
}

/**
 * The `app` label of an app id: the static apps first, in configuration order, then store apps as they are
 * first seen, `appLabels` in all; the others share "other".
 */
function appLabel (options: ResolvedOptions, dynamic: boolean): (id: string | undefined) => string {
  const cap = options.metrics.appLabels
  const labelled = new Set(options.apps.map((a) => a.id).slice(0, cap))
  return (id) => {
    if (id === undefined) return 'unknown'
    if (labelled.has(id)) return id
    if (!dynamic || labelled.size >= cap) return 'other'
    labelled.add(id)
    return id
  }
}

/** Metrics of one plugin instance; `hub.traffic` must be set. */
export function createMetrics (hub: Hub, traffic: Traffic, options: ResolvedOptions, apps: AppRegistry): Metrics {
  const registry = new Registry()
  const ids = options.apps.map((a) => a.id)
  const app = appLabel(options, apps.dynamic)
  if (options.metrics.defaultMetrics) collectDefaultMetrics({ register: registry })
  const unlisten = connectionFamilies(registry, hub, app)
  const unlistenWebhooks = webhookFamilies(registry, hub, app)
  trafficFamilies(registry, traffic, app)
  stateFamilies(registry, hub, apps.dynamic ? () => new Set([...ids, ...hub.appIds()]) : () => ids, app)
  if (apps.dynamic) storeFamilies(registry, apps)
  const onClientEvent: Listener<'client_event'> = ({ appId }) => { traffic.of(appId).clientEventsIn++ }
  hub.events.on('client_event', onClientEvent)
  // Counted in a map keyed by one string and handed to prom-client at scrape time: prom-client would
  // otherwise hash and validate the label object on every request.
  const requestCounts = new Map<string, { labels: Record<string, string>, count: number }>()
  new Counter({ // eslint-disable-line no-new -- registered in `registry`, read through it
    name: 'broadcastt_http_requests_total',
    help: 'REST requests, by route, method and status',
    labelNames: ['app', 'route', 'method', 'status'],
    registers: [registry],
    collect () {
      this.reset()
      for (const { labels, count } of requestCounts.values()) this.inc(labels, count)
    }
  })
  const refusals = new Counter({
    name: 'broadcastt_rest_rate_refusals_total',
    help: 'REST requests refused with 429: backend events (POST) or reads (GET) over the app\'s rate',
    labelNames: ['app', 'reason'],
    registers: [registry]
  })
  return {
    registry,
    render: async () => await registry.metrics(),
    onResponse (request, reply, done) {
      const route = request.routeOptions.url ?? 'unknown'
      // The REST API only: the OpenAPI document and the reference page share its scope but are not requests to an app.
      if (route !== 'unknown' && !route.includes('/apps/:app_id')) {
        done()
        return
      }
      const status = reply.statusCode
      const appLabel = app(request.broadcasttApp?.id)
      const key = `${appLabel}\n${route}\n${request.method}\n${status}`
      const entry = requestCounts.get(key)
      if (entry !== undefined) entry.count++
      else requestCounts.set(key, { labels: { app: appLabel, route, method: request.method, status: String(status) }, count: 1 })
      if (status === 429) refusals.inc({ app: appLabel, reason: request.method === 'GET' ? 'read_rate' : 'backend_event_rate' })
      done()
    },
    close () {
      unlisten()
      unlistenWebhooks()
      hub.events.off('client_event', onClientEvent)
      registry.clear()
    }
  }
}
