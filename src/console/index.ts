/**
 * The debug console (docs/console.md): registered by the plugin when `console.enabled`, at
 * `{prefix}{console.path}`. Its tabs are ended before the server closes, so an open tab never holds up
 * `fastify.close()`.
 */
import type { FastifyInstance } from 'fastify'
import type { App } from '../apps/app-store.js'
import type { AppRegistry } from '../apps/registry.js'
import { MemoryAdapter } from '../adapters/memory.js'
import { RedisAdapter } from '../adapters/redis.js'
import type { RestContext } from '../routes/http/context.js'
import { loadAssets } from './assets.js'
import { ConsoleAuth } from './auth.js'
import { ConsoleFeed } from './feed.js'
import { registerConsoleRoutes } from './routes.js'

/**
 * The apps the console lists and triggers for: the one place it reads them. Static apps, then the app
 * store's when it can list them (the PostgreSQL store does: one query per call).
 */
export function consoleApps (apps: AppRegistry): () => Promise<App[]> {
  return async () => await apps.list()
}

function adapterName (adapter: unknown): string {
  if (adapter instanceof RedisAdapter) return adapter.cluster ? 'redis-cluster' : 'redis'
  if (adapter instanceof MemoryAdapter) return 'memory'
  return 'custom'
}

export async function registerConsole (fastify: FastifyInstance, rest: RestContext, token: string): Promise<void> {
  const { options, hub } = rest
  const { path } = options.console
  const assets = loadAssets()
  const listApps = consoleApps(rest.apps)
  const feed = new ConsoleFeed(hub, listApps, (error) => { hub.reportError(error) })
  const base = options.prefix + path
  await fastify.register(async (scope) => {
    registerConsoleRoutes(scope, {
      base,
      auth: new ConsoleAuth(token, rest.now),
      feed,
      assets,
      listApps,
      rest,
      node: { id: hub.adapter.nodeId, adapter: adapterName(hub.adapter) }
    })
  }, { prefix: base })
  fastify.addHook('preClose', async () => { feed.close() })
}
