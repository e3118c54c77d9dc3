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

/** A cache read made before `subscription_succeeded` was sent, so that its failure can still refuse the subscription. */
export interface Prefetched { readonly entry: CacheEntry | undefined }

/** The channel's cached event for a new subscriber (bounded by the adapter timeout). */
export async function readCache (hub: Hub, conn: Connection, channel: string): Promise<CacheEntry | undefined> {
  return await hub.call(hub.adapter.getCache(conn.app.id, channel), 'getCache')
}

/**
 * Sends a new subscriber of a cache channel the cached event, or `cache_miss`. Resolves to the cached
 * event's sequence number (events up to it are not sent again), or undefined when there was none.
 */
export async function replayCache (hub: Hub, conn: Connection, channel: string, prefetched?: Prefetched):
Promise<number | undefined> {
  const entry = prefetched === undefined ? await readCache(hub, conn, channel) : prefetched.entry
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
  const entry: CacheEntry | undefined = await hub.call(hub.adapter.getCache(appId, channel), 'getCache')
  if (entry === undefined) return undefined
  return { event: entry.event.name, data: entry.event.data, ttl: entry.ttlSeconds }
}
