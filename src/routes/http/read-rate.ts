/**
 * The read rate of each app (`limits.readRequestsPerSecond`, 0 = unlimited): signed GET requests (channel
 * and user queries) take one token from the app's bucket, the same continuous token bucket as the backend
 * event rate; over it they get 429 with `Retry-After: 1` (a bucket of at least one token per second has a
 * token again within a second). Checked after the signature, so unsigned requests cannot drain an app's
 * budget. Cluster-wide (`rate.ts`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { RateLimitedError } from '../../errors.js'
import type { RestContext } from './context.js'
import { withinRate } from './rate.js'

/** Adds the read-rate check to the GET routes registered after it in `scope` (POST routes never pay for it). */
export function readRateHook (scope: FastifyInstance, ctx: RestContext): void {
  const check = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const app = request.broadcasttApp
    if (app === undefined) return
    const perSecond = app.limits.readRequestsPerSecond
    if (await withinRate(ctx, app.id, 'reads', perSecond, 1)) return
    void reply.header('retry-after', '1')
    throw new RateLimitedError(`App ${app.id} is over its rate of ${perSecond} read requests per second`)
  }
  scope.addHook('onRoute', (route) => {
    if (route.method !== 'GET') return
    const own = route.preHandler
    route.preHandler = own === undefined ? [check] : Array.isArray(own) ? [...own, check] : [own, check]
  })
}
