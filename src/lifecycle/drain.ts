/**
 * Graceful shutdown of the WebSocket side (`fastify.close()` → preClose):
 *
 * 1. the server is marked draining: readiness answers 503, REST requests 503, and new upgrades to the
 *    plugin's paths are accepted only to be refused with `error` 4200 and a 4200 close;
 * 2. open connections get 4200 in slices spread over `drainWindowMs`, so their clients do not all reconnect
 *    to the next node in the same instant (a slice holds at least `SLICE_SIZE` connections: a handful of
 *    connections is closed at once);
 * 3. a client has `graceMs` after the last slice to answer its close frame; then its socket is cut;
 * 4. the drain resolves once every socket has emitted `close`, so the hub has seen every disconnection
 *    before the adapter is closed.
 *
 * Timing runs on the plugin's clock (tests pass a fake one); sockets and I/O stay real.
 */
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws'
import type { Clock, ShutdownOptions } from '../options.js'
import { DIALECTS } from '../protocol/dialect.js'
import { WireError } from '../protocol/wire-errors.js'
import { refuseSocket, type Connection } from '../hub/connection.js'

/** The fewest connections told to reconnect in one slice, and the most slices a window is cut into. */
export const SLICE_SIZE = 10
export const MAX_SLICES = 50

/** How many slices `count` connections are closed in. */
export function sliceCount (count: number): number {
  return Math.min(MAX_SLICES, Math.max(1, Math.ceil(count / SLICE_SIZE)))
}

/** How many of `count` connections are due a 4200 `elapsed` ms into a window of `windowMs`. */
export function dueCount (count: number, elapsed: number, windowMs: number): number {
  const slices = sliceCount(count)
  const slice = windowMs === 0 ? slices : Math.min(slices, Math.floor(elapsed / (windowMs / slices)) + 1)
  return Math.min(count, Math.ceil(count * slice / slices))
}

function whenClosed (socket: WebSocket): Promise<void> {
  if (socket.readyState === socket.CLOSED) return Promise.resolve()
  return new Promise((resolve) => { socket.once('close', () => { resolve() }) })
}

/**
 * Sends 4200 to `connections` over the window, waits for their sockets to close (cutting those that do not
 * answer within the grace), and resolves when every one has emitted `close`.
 */
export async function drainSockets (connections: readonly Connection[], plan: ShutdownOptions,
  clock: Pick<Clock, 'now' | 'setInterval' | 'clearInterval'>): Promise<void> {
  const sockets = connections.map((conn) => conn.socket)
  const allClosed = Promise.all(sockets.map(whenClosed))
  const start = clock.now()
  let sent = 0
  let lastSentAt = start
  const sendDue = (): void => {
    const due = dueCount(connections.length, clock.now() - start, plan.drainWindowMs)
    if (due > sent) lastSentAt = clock.now()
    for (; sent < due; sent++) connections[sent]?.error(WireError.ReconnectNow)
  }
  sendDue()
  const tick = Math.max(10, Math.min(100, Math.floor(plan.drainWindowMs / sliceCount(connections.length))))
  await new Promise<void>((resolve) => {
    let done = false
    const finish = (): void => {
      if (done) return
      done = true
      clock.clearInterval(timer as never)
      resolve()
    }
    const timer = clock.setInterval(() => {
      sendDue()
      if (sent === connections.length && clock.now() - lastSentAt >= plan.graceMs) finish()
    }, tick)
    void allClosed.then(finish)
  })
  for (const socket of sockets) if (socket.readyState !== socket.CLOSED) socket.terminate()
  await allClosed
}

/** `{prefix}/app/KEY` and `{prefix}/apps/KEY`: the paths of the plugin's WebSocket endpoint. */
function isEndpoint (path: string, prefix: string): boolean {
  if (!path.startsWith(prefix + '/app')) return false
  return /^\/apps?\/[^/]+$/.test(path.slice(prefix.length))
}

/**
 * While the server drains, @fastify/websocket no longer listens for upgrades (its preClose removed its
 * listener) and Fastify's router answers 503. This listener takes upgrades to the plugin's paths and refuses
 * them the way the protocol says (`error` 4200, close 4200); any other upgrade gets a bare 503. It is added
 * only when no one else listens for upgrades, and the returned function removes it.
 */
export function refuseUpgradesWhileDraining (server: Server, prefix: string, graceMs: number): () => void {
  if (typeof server.on !== 'function' || server.listenerCount('upgrade') > 0) return () => {}
  // `closeTimeout` (ws 8.19+, not yet in @types/ws): a refused client that never answers is cut after the grace.
  const options: ServerOptions & { closeTimeout: number } = {
    noServer: true, maxPayload: 1024, perMessageDeflate: false, clientTracking: false, closeTimeout: Math.max(1, graceMs)
  }
  const wss = new WebSocketServer(options)
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => { socket.destroy() })
    const url = req.url ?? ''
    const mark = url.indexOf('?')
    const path = mark === -1 ? url : url.slice(0, mark)
    if (!isEndpoint(path, prefix)) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    const pusher = mark !== -1 && new URLSearchParams(url.slice(mark + 1)).has('protocol')
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => { ws.terminate() })
      refuseSocket(ws, pusher ? DIALECTS.pusher : DIALECTS.broadcastt, WireError.ReconnectNow, WireError.ReconnectNow.reason)
    })
  }
  server.on('upgrade', onUpgrade)
  return () => { server.off('upgrade', onUpgrade) }
}
