/**
 * Unsigned operational endpoints, outside the REST contract (not in the OpenAPI document):
 * `GET {prefix}/health` (liveness: 200 while the process serves requests), `GET {prefix}/ready` (readiness:
 * 503 while starting, draining or while the adapter cannot reach its shared state; 200 `degraded` while the
 * app store is unreachable, since cached apps are still served) and
 * `GET {prefix}/metrics` (Prometheus exposition). Each is a constant-time check, off the hot path.
 */
import type { FastifyInstance } from 'fastify'
import type { Metrics } from '../metrics/prometheus.js'

/** `degraded`: serving (cached apps work), but the app store is unreachable; answered with 200. */
export type Readiness = 'ready' | 'degraded' | 'starting' | 'draining' | 'adapter_unavailable'

export interface OperationsRoutes {
  /** Serve /health and /ready. */
  health: boolean
  readiness: () => Readiness
  /** Serve /metrics from these metrics. */
  metrics: Metrics | undefined
}

export function registerOperationsRoutes (scope: FastifyInstance, routes: OperationsRoutes): void {
  if (routes.health) {
    scope.get('/health', { logLevel: 'warn' }, async (_request, reply) => {
      void reply.header('cache-control', 'no-store')
      return { status: 'ok' }
    })
    scope.get('/ready', { logLevel: 'warn' }, async (_request, reply) => {
      const status = routes.readiness()
      void reply.header('cache-control', 'no-store').code(status === 'ready' || status === 'degraded' ? 200 : 503)
      return { status }
    })
  }
  const { metrics } = routes
  if (metrics !== undefined) {
    scope.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
      void reply.header('content-type', metrics.registry.contentType).header('cache-control', 'no-store')
      return await metrics.render()
    })
  }
}
