/**
 * The plugin's part of `fastify.close()`, in order:
 *
 * - preClose: mark the server draining (readiness 503, REST 503, new upgrades refused with 4200), then drain
 *   the connections (`drain.ts`); it resolves once every socket has emitted `close`;
 * - onClose: stop the liveness sweep, wait for the hub's background work (presence leaves, user-gone
 *   notices started by those closes), then close what the plugin created (webhooks, then the adapter).
 *
 * The same `closeOwned` runs when registration fails after the adapter was started, so nothing leaks.
 */
import type { Server } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { Clock, ShutdownOptions } from '../options.js'
import type { WsContext } from '../routes/ws.js'
import { drainSockets, refuseUpgradesWhileDraining } from './drain.js'

export interface ShutdownDeps {
  ctx: WsContext
  clock: Clock
  plan: ShutdownOptions
  prefix: string
  /** Stops timers and closes what the plugin owns, after the hub's background work has settled. */
  closeOwned: () => Promise<void>
}

/** The preClose step: drain every connection. Exported for `@fastify/websocket`'s `preClose` option. */
export function drainStep (fastify: FastifyInstance, deps: ShutdownDeps): { drain: () => Promise<void>, stop: () => void } {
  let stopRefusing = (): void => {}
  return {
    async drain () {
      if (deps.ctx.draining) return
      deps.ctx.draining = true
      stopRefusing = refuseUpgradesWhileDraining(fastify.server as Server, deps.prefix, deps.plan.graceMs)
      deps.ctx.log.info({ connections: deps.ctx.hub.connectionCount, drainWindowMs: deps.plan.drainWindowMs },
        'draining connections')
      await drainSockets([...deps.ctx.hub.connections()], deps.plan, deps.clock)
    },
    stop () { stopRefusing() }
  }
}

/** Adds the onClose hook; `drain` must already run in a preClose hook. */
export function addCloseHook (fastify: FastifyInstance, deps: ShutdownDeps, stopRefusing: () => void): void {
  fastify.addHook('onClose', async () => {
    try {
      await deps.ctx.hub.settle()
      await deps.closeOwned()
    } finally {
      stopRefusing()
    }
  })
}
