/**
 * Webhooks (PROTOCOL.md §11, docs/webhooks.md): the plugin's one entry point. Picks the queue — Redis streams
 * when the hub's adapter is Redis-backed (it offers `keyPrefix` and `duplicateClient()`), else memory — and
 * starts a manager when at least one app has webhooks.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import type { Adapter } from '../adapters/adapter.js'
import type { Hub } from '../hub/hub.js'
import type { Clock, ResolvedOptions } from '../options.js'
import { WebhookManager } from './manager.js'
import { MemoryWebhookQueue } from './memory-queue.js'
import { RedisWebhookQueue } from './redis-queue.js'
import type { WebhookQueue } from './types.js'

export { WebhookManager }
export type { WebhookQueue }

/** What the Redis adapter offers (src/adapters/redis.ts): its key prefix and a new connection like its own. */
export interface RedisBacked {
  readonly keyPrefix: string
  duplicateClient (): Redis
}

export function isRedisBacked (adapter: Adapter): adapter is Adapter & RedisBacked {
  const candidate = adapter as Partial<RedisBacked>
  return typeof candidate.keyPrefix === 'string' && typeof candidate.duplicateClient === 'function'
}

/** Starts webhook delivery for the apps that have webhooks; undefined when none has. */
export async function startWebhooks (hub: Hub, options: ResolvedOptions, clock: Clock, log: FastifyBaseLogger):
Promise<WebhookManager | undefined> {
  const apps = options.apps.filter((app) => app.webhooks.length > 0)
  if (apps.length === 0) return undefined
  const delivery = options.webhookDelivery
  const adapter = hub.adapter
  const queue: WebhookQueue = isRedisBacked(adapter)
    ? new RedisWebhookQueue({
      redis: adapter.duplicateClient(),
      keyPrefix: adapter.keyPrefix,
      appIds: apps.map((app) => app.id),
      limitPerApp: delivery.queueLimitPerApp,
      claimIdleMs: delivery.claimIdleMs,
      log
    })
    : new MemoryWebhookQueue(delivery.queueLimitPerApp)
  const manager = new WebhookManager({ hub, apps, delivery, clock, log, queue, clusterCounts: isRedisBacked(adapter) })
  await manager.start()
  return manager
}
