/**
 * Cache channels (PROTOCOL.md §6): the last event a backend triggered on a `cache-`, `private-cache-`,
 * `presence-cache-` or `private-encrypted-cache-` channel is kept (in the adapter, atomically with its
 * publication, so cluster-wide and never older than an event already delivered) for the app's
 * `cacheTtlSeconds` and replayed to each new subscriber right after `subscription_succeeded`; without one
 * the subscriber gets `<p>:cache_miss`. Client events are never cached.
 */
import type { CacheEntry } from '../adapters/adapter.js'
import type { Connection } from './connection.js'
import { eventFrames } from './frames.js'
import type { Hub } from './hub.js'

/**
 * Sends a new subscriber of a cache channel the cached event, or `cache_miss`. Resolves to the cached
 * event's sequence number (events up to it are not sent again), or undefined when there was none.
 */
export async function replayCache (hub: Hub, conn: Connection, channel: string): Promise<number | undefined> {
  const entry = await hub.adapter.getCache(conn.app.id, channel)
  if (!conn.open || !conn.channels.has(channel)) return undefined
  if (entry !== undefined) {
    const frames = eventFrames(entry.event)
    conn.send(conn.dialect.name === 'pusher' ? frames.pusher : frames.broadcastt)
    return entry.event.seq
  }
  conn.sendEvent(conn.dialect.cacheMiss, {}, channel)
  hub.events.emit('cache_miss', { appId: conn.app.id, channel })
  return undefined
}

/** What `GET /channels/:name?info=cache` reports: the cached event's data and its seconds left. */
export interface CacheInfo {
  event: string
  data: string
  ttl: number
}

export async function cacheInfo (hub: Hub, appId: string, channel: string): Promise<CacheInfo | undefined> {
  const entry: CacheEntry | undefined = await hub.adapter.getCache(appId, channel)
  if (entry === undefined) return undefined
  return { event: entry.event.name, data: entry.event.data, ttl: entry.ttlSeconds }
}
