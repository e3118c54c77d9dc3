/**
 * Idle connections: N clients connect and subscribe to one channel. Figures: the server's CPU per connection
 * (connect + subscribe), and resident and heap bytes per connection between two settled, post-GC samples
 * (RSS without V8's young generation, which a full GC empties and V8 sizes by allocation rate). With the app
 * in PostgreSQL (`pg`), also the app store's queries per connection once the app is warm.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { closeClients, openSubscribed, type Client } from '../pusher.js'
import type { Server } from '../servers.js'
import type { BenchOptions, Figures } from './common.js'

/** Clients opened and dropped first, so that the baseline holds the code and lazy structures of the path. */
const WARMUP = 200

export async function idle (server: Server, options: BenchOptions): Promise<Figures> {
  const n = options.idleConnections
  closeClients(await openSubscribed(server.wsUrl, WARMUP, () => 'idle'))
  await delay(500)
  const before = await server.memory(options.settle)
  let clients: Client[] = []
  try {
    const queriesBefore = await server.storeQueries()
    const cpuBefore = await server.cpu()
    clients = await openSubscribed(server.wsUrl, n, () => 'idle')
    const cpu = await server.cpu() - cpuBefore
    const queries = await server.storeQueries()
    const after = await server.memory(options.settle)
    return {
      connectCpuPerConnection: cpu * 1e6 / n,
      rssPerConnection: (after.usage.rss - after.youngBytes - before.usage.rss + before.youngBytes) / n,
      heapPerConnection: (after.usage.heapUsed - before.usage.heapUsed) / n,
      // The app was loaded by the warm-up connections: from then on an upgrade should make no query.
      ...(queries === undefined || queriesBefore === undefined ? {} : { storeQueriesPerConnection: (queries - queriesBefore) / n })
    }
  } finally {
    closeClients(clients)
  }
}
