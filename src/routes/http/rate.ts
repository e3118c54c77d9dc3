/**
 * The per-app rates of the REST API: `limits.backendEventsPerSecond` (bucket `events`, one token per event,
 * all or none, so a refused batch publishes nothing) and `limits.readRequestsPerSecond` (bucket `reads`, one
 * token per signed GET). Each is a token bucket holding one second's worth, kept by the adapter, so it holds
 * across the cluster (docs/scaling.md). A rate of 0 is unlimited and costs nothing.
 */
import type { RestContext } from './context.js'

export type RateBucket = 'events' | 'reads'

/** Takes `count` tokens of the app's `bucket`; false when the app is over its rate. */
export async function withinRate (ctx: RestContext, appId: string, bucket: RateBucket, perSecond: number, count: number):
Promise<boolean> {
  if (perSecond <= 0) return true
  return await ctx.hub.call(ctx.hub.adapter.takeTokens(appId, bucket, perSecond, count), 'takeTokens')
}
