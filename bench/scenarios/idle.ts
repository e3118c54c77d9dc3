/**
 * Idle connections, in two shapes: `idle` subscribes every connection to one shared channel (where a server
 * whose cost grows with a channel's size shows it), `idle-own` subscribes each connection to a channel of
 * its own (10,000 channels of one: the cost of a subscription record and a channel). Figures: the server's
 * CPU per connection (connect + subscribe), and resident and heap bytes per connection between two
 * settled, post-GC samples (RSS without V8's young generation, which a full GC empties and V8 sizes by
 * allocation rate). With the app in PostgreSQL (`pg`), also the app store's queries per connection once
 * the app is warm.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { closeClients, openSubscribed, type Client } from '../pusher.js'
import type { Server } from '../servers.js'
import type { BenchOptions, Figures } from './common.js'

/** Clients opened and dropped first, so that the baseline holds the code and lazy structures of the path. */
const WARMUP = 200

async function measure (server: Server, options: BenchOptions, channel: (k: number) => string, suffix: '' | 'Own'): Promise<Figures> {
  const n = options.idleConnections
  closeClients(await openSubscribed(server.wsUrl, WARMUP, (k) => channel(n + k)))
  await delay(500)
  const before = await server.memory(options.settle)
  let clients: Client[] = []
  try {
    const queriesBefore = await server.storeQueries()
    const cpuBefore = await server.cpu()
    clients = await openSubscribed(server.wsUrl, n, channel)
    const cpu = await server.cpu() - cpuBefore
    const queries = await server.storeQueries()
    const after = await server.memory(options.settle)
    return {
      [`connectCpuPerConnection${suffix}`]: cpu * 1e6 / n,
      [`rssPerConnection${suffix}`]: (after.usage.rss - after.youngBytes - before.usage.rss + before.youngBytes) / n,
      [`heapPerConnection${suffix}`]: (after.usage.heapUsed - before.usage.heapUsed) / n,
      // The app was loaded by the warm-up connections: from then on an upgrade should make no query.
      ...(queries === undefined || queriesBefore === undefined ? {} : { [`storeQueriesPerConnection${suffix}`]: (queries - queriesBefore) / n })
    }
  } finally {
    closeClients(clients)
  }
}

/** Every connection on one shared channel. */
export async function idle (server: Server, options: BenchOptions): Promise<Figures> {
  return await measure(server, options, () => 'idle', '')
}

/** Each connection on a channel of its own. */
export async function idleOwn (server: Server, options: BenchOptions): Promise<Figures> {
  return await measure(server, options, (k) => `idle-${k}`, 'Own')
}
