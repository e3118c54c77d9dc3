/**
 * Webhooks (PROTOCOL.md §11, docs/webhooks.md): the plugin's one entry point. Picks the queue — Redis streams
 * on a connection of their own (`duplicateClient()`) under the adapter's key prefix when the hub's adapter is
 * a `RedisAdapter`, else memory — and starts a manager when at least one app has webhooks, or may have (an
 * app store).
 */
import type { FastifyBaseLogger } from 'fastify'
import { RedisAdapter } from '../adapters/redis.js'
import type { AppRegistry } from '../apps/registry.js'
import type { Hub } from '../hub/hub.js'
import type { Clock, ResolvedOptions } from '../options.js'
import { WebhookManager } from './manager.js'
import { MemoryWebhookQueue } from './memory-queue.js'
import { RedisWebhookQueue } from './redis-queue.js'
import type { WebhookQueue } from './types.js'

export { WebhookManager }
export type { WebhookQueue }

/** Starts webhook delivery when a static app has webhooks or an app store may hold apps that have; else undefined. */
export async function startWebhooks (hub: Hub, registry: AppRegistry, options: ResolvedOptions, clock: Clock,
  log: FastifyBaseLogger): Promise<WebhookManager | undefined> {
  const apps = options.apps.filter((app) => app.webhooks.length > 0)
  if (apps.length === 0 && !registry.dynamic) return undefined
  const delivery = options.webhookDelivery
  const adapter = hub.adapter
  const durable = adapter instanceof RedisAdapter
  const queue: WebhookQueue = durable
    ? new RedisWebhookQueue({
      redis: adapter.duplicateClient(),
      keyPrefix: adapter.keyPrefix,
      cluster: adapter.cluster,
      appIds: apps.map((app) => app.id),
      limitPerApp: delivery.queueLimitPerApp,
      claimIdleMs: delivery.claimIdleMs,
      log
    })
    : new MemoryWebhookQueue(delivery.queueLimitPerApp)
  const manager = new WebhookManager({
    hub,
    appOf: (id) => registry.peekId(id) ?? undefined,
    loadApp: async (id) => await registry.byId(id),
    delivery,
    clock,
    log,
    queue,
    clusterCounts: durable
  })
  await manager.start()
  return manager
}
