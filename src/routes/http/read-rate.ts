/**
 * The read rate of each app (`limits.readRequestsPerSecond`, 0 = unlimited): signed GET requests (channel
 * and user queries) take one token from the app's bucket, the same continuous token bucket as the backend
 * event rate; over it they get 429 with `Retry-After: 1` (a bucket of at least one token per second has a
 * token again within a second). Checked after the signature, so unsigned requests cannot drain an app's
 * budget. Counted per node.
 */
import type { FastifyInstance } from 'fastify'
import { RateLimitedError } from '../../errors.js'
import type { RestContext } from './context.js'
import { BackendRate } from './rate.js'

export function readRateHook (scope: FastifyInstance, ctx: RestContext): void {
  const reads = new BackendRate()
  scope.addHook('preHandler', async (request, reply) => {
    const app = request.broadcasttApp
    if (request.method !== 'GET' || app === undefined) return
    const perSecond = app.limits.readRequestsPerSecond
    if (reads.take(app.id, perSecond, 1, ctx.now())) return
    void reply.header('retry-after', '1')
    throw new RateLimitedError(`App ${app.id} is over its rate of ${perSecond} read requests per second`)
  })
}
