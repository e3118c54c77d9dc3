/**
 * The servers a test started in this process, so that `TestClient.settle()` can wait for all of them
 * before it proves that nothing more arrived. A ping round trip alone proves that only while delivery
 * happens in the turn of the publication; with a networked adapter (Redis), or work a socket event left
 * running (presence leaves after a close, unsubscriptions), a frame can still be on its way after the pong.
 */
import type { FastifyInstance } from 'fastify'

interface Teardown { teardown (fn: () => unknown): void }

/** Listening servers with the plugin, by port. */
const servers = new Map<number, FastifyInstance>()

/** Registers a listening server with the plugin for `settleServers`; it is forgotten when the test ends. */
export function trackServer (t: Teardown, app: FastifyInstance): void {
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('trackServer: the server is not listening')
  servers.set(address.port, app)
  t.teardown(() => { if (servers.get(address.port) === app) servers.delete(address.port) })
}

/** Whether the server listening on `port` is registered. */
export function isTracked (port: number): boolean {
  return servers.has(port)
}

/**
 * The barrier: resolves once every piece of work started before the call on every registered server is
 * done and its messages have been handed to the sockets of every node that serves them
 * (`fastify.broadcastt.settle()`: the hub's background work, then the adapter's barrier). With several
 * nodes it runs twice: the first round finishes every node's work, so each publication of it has completed
 * before any barrier of the second round is published, and that node's barrier then proves it received it.
 */
export async function settleServers (): Promise<void> {
  const apps = [...servers.values()]
  for (let round = 0; round < Math.min(apps.length, 2); round++) {
    await Promise.all(apps.map(async (app) => { await app.broadcastt.settle() }))
  }
}
