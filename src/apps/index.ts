/**
 * The plugin's apps: the registry over the static apps and, when `appStore` is given, the store behind it
 * (the PostgreSQL store the plugin owns, or the host's own store).
 */
import type { FastifyBaseLogger } from 'fastify'
import type { ResolvedOptions } from '../options.js'
import type { PostgresAppStoreConfigInput } from './store-options.js'
import { hostSource, type AppStore } from './app-store.js'
import { PostgresAppStore } from './postgres-store.js'
import { AppRegistry } from './registry.js'

export function createRegistry (options: ResolvedOptions, store: AppStore | PostgresAppStoreConfigInput | undefined,
  now: () => number, log: FastifyBaseLogger): AppRegistry {
  const timeoutMs = options.adapterTimeoutMs
  const source = store === undefined
    ? undefined
    : options.appStore !== undefined
      ? new PostgresAppStore({ config: options.appStore, timeoutMs, log })
      : hostSource(store as AppStore)
  return new AppRegistry({ apps: options.apps, source, cache: options.appCache, timeoutMs, now, log })
}
