/**
 * The WebSocket endpoint: `/app/:key` and `/apps/:key`. Checks the upgrade (PROTOCOL.md §2), creates the
 * connection and wires the socket's events to handlers shared by every socket (no per-socket closures).
 */
import { randomInt } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { RawData, WebSocket, WebSocketServer } from 'ws'
import type { App } from '../apps/app-store.js'
import type { AppRegistry } from '../apps/registry.js'
import { LIMIT_DEFAULTS, type ResolvedOptions } from '../options.js'
import { chooseDialect, DIALECTS, type Dialect } from '../protocol/dialect.js'
import { WireError, type WireErrorSpec } from '../protocol/wire-errors.js'
import { Connection, refuseSocket } from '../hub/connection.js'
import type { Heartbeat } from '../hub/heartbeat.js'
import type { Hub } from '../hub/hub.js'
import { RateLimitedError, WebsocketPayloadError } from '../errors.js'
import { admitFrame, ShortRations } from '../hub/frame-budget.js'
import { receiveFrame } from '../hub/inbound.js'
import { startAuthDeadline } from '../hub/users.js'
import { loggableError } from '../log-safe.js'

export interface WsContext {
  hub: Hub
  heartbeat: Heartbeat
  apps: AppRegistry
  options: ResolvedOptions
  log: FastifyBaseLogger
  /** True once the server is shutting down: new connections are refused with 4200. */
  draining: boolean
  /** Open connections per client address, when `maxConnectionsPerIp` is set. */
  perIp?: Map<string, number>
  /** Addresses whose connections start on a short frame budget (hub/frame-budget.ts), with `perIp`. */
  rations?: ShortRations
}

const kConnection = Symbol('broadcastt.connection')
const kIp = Symbol('broadcastt.ip')
type TrackedSocket = WebSocket & { [kConnection]?: Connection, [kIp]?: string }

/** `<digits>.<digits>`, random (not a counter), about 62 bits: unique in a cluster in practice. */
function newSocketId (): string {
  return `${randomInt(1, 2 ** 31)}.${randomInt(1, 2 ** 31)}`
}

interface Query { protocol?: string }

/**
 * The first check that fails for a new connection, per PROTOCOL.md §2, or the accepted app and dialect.
 * `app` is the key's app (undefined when there is none).
 */
function admit (ctx: WsContext, key: string, app: App | undefined, req: FastifyRequest):
  { ok: true, app: App, dialect: Dialect } | { ok: false, spec: WireErrorSpec, message: string, dialect: Dialect } {
  const { protocol } = req.query as Query
  const asked = protocol === undefined ? DIALECTS.broadcastt : DIALECTS.pusher
  const no = (spec: WireErrorSpec, message: string = spec.reason) => ({ ok: false as const, spec, message, dialect: asked })
  if (key === '') return no(WireError.PathNotFound, 'Path not found: it names no app key')
  if (app === undefined) return no(WireError.AppNotFound, `App key ${key.slice(0, 64)} does not exist`)
  if (!app.enabled) return no(WireError.AppDisabled)
  const choice = chooseDialect(protocol, app.dialects)
  if (!choice.ok) return no(WireError[choice.error], `${WireError[choice.error].reason}: protocol=${String(protocol).slice(0, 16)}`)
  const origin = req.headers.origin
  if (app.allowedOrigins !== undefined && (origin === undefined || !app.allowedOrigins.includes(origin))) {
    return no(WireError.Unauthorized, `Origin ${String(origin).slice(0, 80)} is not allowed`)
  }
  if (ctx.draining) return no(WireError.ReconnectNow)
  const max = ctx.options.maxConnections
  if (max > 0 && ctx.hub.connectionCount >= max) return no(WireError.OverCapacity)
  const perIp = ctx.options.maxConnectionsPerIp
  if (perIp > 0 && (ctx.perIp?.get(req.ip) ?? 0) >= perIp) {
    return no(WireError.OverCapacity, `At most ${perIp} connections per client address`)
  }
  return { ok: true, app, dialect: choice.dialect }
}

/**
 * Takes a frame from the connection's budget (hub/frame-budget.ts). A frame that closed the connection marks
 * its address at once, so a reconnect made before the old socket is cut finds the mark too.
 */
function admitInbound (ctx: WsContext, socket: TrackedSocket, conn: Connection): boolean {
  if (admitFrame(conn, ctx.heartbeat.now)) return true
  const ip = socket[kIp]
  // Only a frame of an open connection is taken: closed now, it was closed by this frame, for its budget.
  if (!conn.open && ip !== undefined) ctx.rations?.mark(ip, conn, ctx.heartbeat.now)
  return false
}

/** Handlers shared by every socket of one plugin instance; `this` is the socket. */
function socketHandlers (ctx: WsContext) {
  return {
    message (this: TrackedSocket, data: RawData, isBinary: boolean): void {
      const conn = this[kConnection]
      if (conn === undefined || !conn.open) return // closed by the server: what follows the close is not read
      ctx.heartbeat.touch(conn)
      const bytes = data as Buffer
      conn.traffic?.received(bytes.length)
      if (!admitInbound(ctx, this, conn)) return
      if (bytes.length > conn.app.limits.frameBytes) {
        conn.error(WireError.FrameTooLarge, `Frame is ${bytes.length} bytes; the limit is ${conn.app.limits.frameBytes}`)
        return
      }
      if (isBinary) {
        conn.error(WireError.Generic, 'Binary frames are not supported; send JSON text frames')
        return
      }
      receiveFrame(ctx.hub, conn, bytes.toString())
    },
    alive (this: TrackedSocket): void {
      const conn = this[kConnection]
      if (conn !== undefined) ctx.heartbeat.touch(conn)
    },
    /** An RFC 6455 ping: ws answers it by itself, but it is a frame of the client's and takes from its budget. */
    ping (this: TrackedSocket): void {
      const conn = this[kConnection] as Connection // set before the listener is added
      if (!conn.open) return
      ctx.heartbeat.touch(conn)
      admitInbound(ctx, this, conn)
    },
    /**
     * Socket errors (a protocol violation, a reset) end in 'close'; they are the client's, not the server's.
     * On a protocol violation ws has just queued its close frame (1002, 1007, 1009): cutting the socket now
     * would drop it and the client would see 1006. The connection stops here and the heartbeat cuts a peer
     * that does not finish the close handshake within its grace, as for every close of the server's.
     */
    error (this: TrackedSocket, error: Error): void {
      ctx.log.debug({ err: error }, 'websocket error')
      const conn = this[kConnection]
      if (conn === undefined) this.terminate()
      else conn.open = false
    },
    close (this: TrackedSocket, code: number): void {
      const conn = this[kConnection]
      if (conn === undefined) return
      conn.open = false
      const closeCode = conn.closeCode ?? code
      forgetIp(ctx, this)
      ctx.log.info({ appId: conn.app.id, socketId: conn.socketId, code: closeCode }, 'connection closed')
      try {
        ctx.hub.removeConnection(conn, closeCode)
      } catch (error) {
        ctx.hub.reportError(error)
      }
    }
  }
}

/**
 * After the upgrade nothing needs the HTTP request any more, but @fastify/websocket leaves it reachable for
 * the socket's whole life: the net socket keeps the ServerResponse it was assigned to (and through it the
 * Fastify reply and request), and its error listener is a closure over both. Letting go of them saves
 * about 2 KB per connection; a shared error listener takes its place.
 */
function releaseRequest (socket: WebSocket, req: FastifyRequest): void {
  const net = req.raw.socket as Socket & { _httpMessage?: ServerResponse | null }
  net._httpMessage?.detachSocket(net)
  socket.removeAllListeners('error')
}

function countIp (ctx: WsContext, socket: TrackedSocket, req: FastifyRequest): void {
  if (ctx.perIp === undefined) return // without the cap, the address (a getpeername call) is never read
  const ip = req.ip
  socket[kIp] = ip
  ctx.perIp.set(ip, (ctx.perIp.get(ip) ?? 0) + 1)
  const conn = socket[kConnection]
  if (conn !== undefined) ctx.rations?.apply(conn, ip, ctx.heartbeat.now)
}

function forgetIp (ctx: WsContext, socket: TrackedSocket): void {
  const ip = socket[kIp]
  if (ip === undefined || ctx.perIp === undefined) return
  const left = (ctx.perIp.get(ip) ?? 1) - 1
  if (left <= 0) ctx.perIp.delete(ip)
  else ctx.perIp.set(ip, left)
}

/** Refuses an upgrade, and tells the metrics. */
function refuse (ctx: WsContext, socket: WebSocket, app: App | undefined, dialect: Dialect, spec: WireErrorSpec, message: string): void {
  ctx.hub.events.emit('connection_refused', { appId: app?.id, code: spec.code ?? 0 })
  refuseSocket(socket, dialect, spec, message)
}

export function registerWsRoutes (fastify: FastifyInstance, ctx: WsContext): void {
  const on = socketHandlers(ctx)
  if (ctx.options.maxConnectionsPerIp > 0) {
    ctx.perIp = new Map()
    ctx.rations = new ShortRations()
  }
  // A host-registered @fastify/websocket tracks clients and, in its own preClose, closes them without a code
  // before the plugin's drain could send 4200. The plugin closes its connections itself: it untracks them.
  const hostClients = (fastify.websocketServer as WebSocketServer | undefined)?.clients
  const accept = (socket: TrackedSocket, req: FastifyRequest, app: App, dialect: Dialect): void => {
    const conn = new Connection(socket, app, dialect, newSocketId(), ctx.options.maxBufferedBytes)
    conn.traffic = ctx.hub.traffic?.of(app.id)
    ctx.heartbeat.touch(conn)
    startAuthDeadline(conn, ctx.heartbeat.now)
    socket[kConnection] = conn
    hostClients?.delete(socket)
    countIp(ctx, socket, req)
    if (socket.extensions === '') conn.raw = req.raw.socket
    releaseRequest(socket, req)
    socket.on('error', on.error)
    socket.on('message', on.message)
    socket.on('ping', on.ping)
    socket.on('pong', on.alive)
    socket.on('close', on.close)
    ctx.hub.addConnection(conn)
    ctx.log.info({ appId: conn.app.id, socketId: conn.socketId }, 'connection opened')
    conn.sendEvent(conn.dialect.connectionEstablished, {
      socket_id: conn.socketId,
      activity_timeout: ctx.options.activityTimeout
    })
  }
  const handler = (socket: TrackedSocket, req: FastifyRequest): void => {
    const { key } = req.params as { key: string }
    const found = ctx.apps.peekKey(key) ?? req.broadcasttApp
    const verdict = admit(ctx, key, found, req)
    if (!verdict.ok) {
      refuse(ctx, socket, found, verdict.dialect, verdict.spec, verdict.message)
      return
    }
    const { app, dialect } = verdict
    if (app.limits.maxConnections === 0) {
      accept(socket, req, app, dialect)
      return
    }
    // The app's quota is cluster-wide: the adapter counts the connection before it is accepted.
    ctx.hub.reserveConnection(app).then((reserved) => {
      // The app may have changed in its store meanwhile.
      const now = ctx.apps.current(app)
      if (!reserved) refuse(ctx, socket, app, dialect, WireError.AppOverQuota, WireError.AppOverQuota.reason)
      else if (socket.readyState !== socket.OPEN) ctx.hub.releaseConnection(app)
      else if (ctx.draining || now === null || !now.enabled) {
        // The drain began (this connection is not in its list), or the app went away, while the quota was checked.
        ctx.hub.releaseConnection(app)
        const spec = ctx.draining ? WireError.ReconnectNow : now === null ? WireError.AppNotFound : WireError.AppDisabled
        refuse(ctx, socket, app, dialect, spec, spec.reason)
      } else accept(socket, req, now, dialect)
    }, (error: unknown) => {
      ctx.log.error({ err: loggableError(error) }, 'broadcastt: connection quota check failed')
      refuse(ctx, socket, app, dialect, WireError.OverCapacity, WireError.OverCapacity.reason)
    })
  }
  // With an app store, a key that is neither static nor cached is looked up before the upgrade completes.
  const preValidation = [...ctx.rations === undefined ? [] : [refuseInDebt(ctx.rations, ctx)], ...ctx.apps.dynamic ? [lookupKey(ctx)] : []]
  for (const path of ['/app/:key', '/apps/:key']) {
    fastify.get(path, { websocket: true, ...(preValidation.length === 0 ? {} : { preValidation }) }, handler)
  }
}

/**
 * An upgrade from an address still in debt after a frame-budget close (hub/frame-budget.ts) is answered with
 * HTTP 429 and `Retry-After` instead of being made: no handshake, no connection, no frames to read and drop.
 */
function refuseInDebt (rations: ShortRations, ctx: WsContext) {
  return (req: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const wait = rations.retryAfter(req.ip, ctx.heartbeat.now)
    if (wait === 0) {
      done()
      return
    }
    void reply.header('retry-after', String(wait))
      .send(new RateLimitedError(`This address was closed for its frame budget; reconnect in ${wait} s`))
  }
}

/**
 * A callback hook (no promise for a cached key): an uncached key of an upgrade request waits for the store
 * before the upgrade, so no frame of the client can arrive before the connection exists.
 */
function lookupKey (ctx: WsContext) {
  return (req: FastifyRequest, _reply: unknown, done: (error?: Error) => void): void => {
    const { key } = req.params as { key: string }
    if (key === '' || ctx.apps.peekKey(key) !== undefined || (req as { ws?: boolean }).ws !== true) {
      done()
      return
    }
    const resume = (app: App | undefined): void => {
      if (app !== undefined) req.broadcasttApp = app
      done()
    }
    ctx.apps.byKey(key).then(resume, () => { resume(undefined) })
  }
}

/**
 * The largest inbound frame any app may take: the largest `frameBytes` of the static apps and, with an app
 * store (whose apps are not known yet), at least the default (docs/apps.md).
 */
export function largestFrame (options: ResolvedOptions, dynamic: boolean): number {
  return Math.max(1024, ...options.apps.map((app) => app.limits.frameBytes), dynamic ? LIMIT_DEFAULTS.frameBytes : 0)
}

/** ws's own default `maxPayload` (100 MiB), which a host's server has unless it set one. */
const WS_DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024

/**
 * With a host-registered @fastify/websocket, ws reads whole frames up to the host's `maxPayload` before the
 * plugin sees them (100 MiB unless set), so any client could make the server buffer that much per frame.
 * Registration fails unless `maxPayload` is at most the largest `frameBytes` of the apps.
 */
export function checkHostMaxPayload (fastify: FastifyInstance, options: ResolvedOptions, dynamic: boolean): void {
  const largest = largestFrame(options, dynamic)
  const server = fastify.websocketServer as { options?: { maxPayload?: number } } | undefined
  const maxPayload = server?.options?.maxPayload ?? WS_DEFAULT_MAX_PAYLOAD
  if (maxPayload > 0 && maxPayload <= largest) return
  throw new WebsocketPayloadError(`@fastify/websocket was registered with maxPayload ${maxPayload === 0 ? 'unlimited' : maxPayload} ` +
    `bytes; fastify-broadcastt needs at most ${largest} (the largest limits.frameBytes). Register it with ` +
    `{ options: { maxPayload: ${largest} } }, or raise limits.frameBytes.`)
}

/**
 * An upgrade to a path under the prefix that no route serves (`/app/`, `/app/key/extra`, `/nope`) is
 * accepted and answered with `error` 4005 and a 4005 close (PROTOCOL.md §5), in the dialect the query asks
 * for, instead of a bare HTTP 404. Added to the host instance, so it sees requests no route matched; plain
 * HTTP requests and paths outside the prefix keep the host's 404.
 */
export function refuseUnknownPaths (fastify: FastifyInstance, prefix: string): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!request.is404 || request.headers.upgrade?.toLowerCase() !== 'websocket') {
      done()
      return
    }
    const url = request.raw.url ?? request.url
    const path = url.split('?')[0] ?? ''
    if (prefix !== '' && path !== prefix && !path.startsWith(prefix + '/')) {
      done()
      return
    }
    const dialect = new URLSearchParams(url.slice(path.length + 1)).has('protocol') ? DIALECTS.pusher : DIALECTS.broadcastt
    void reply.hijack()
    fastify.websocketServer.handleUpgrade(request.raw, request.raw.socket, Buffer.alloc(0), (socket) => {
      socket.on('error', () => { socket.terminate() })
      refuseSocket(socket, dialect, WireError.PathNotFound, `Path ${path.slice(0, 80)} not found`)
    })
    done() // the hijacked reply ends the hook chain
  })
}
