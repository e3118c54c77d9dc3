/**
 * Cache channels (PROTOCOL.md §6): the last event a backend triggered on a `cache-`, `private-cache-`,
 * `presence-cache-` or `private-encrypted-cache-` channel is kept (in the adapter, so cluster-wide) for the
 * app's `cacheTtlSeconds` and replayed to each new subscriber right after `subscription_succeeded`; without
 * one the subscriber gets `<p>:cache_miss`. Client events are never cached.
 */
import type { App } from '../apps/app-store.js'
import type { CacheEntry } from '../adapters/adapter.js'
import { channelType } from '../protocol/channel-name.js'
import type { ChannelFrames } from '../protocol/codec.js'
import type { Connection } from './connection.js'
import type { Hub } from './hub.js'

/** Keeps a triggered event as the channel's last one when the channel is a cache channel. */
export async function rememberEvent (
  hub: Hub, app: App, channel: string, event: string, data: string, frames: ChannelFrames
): Promise<void> {
  if (!channelType(channel).cached) return
  await hub.adapter.setCache(app.id, channel, { event, data, frames }, app.limits.cacheTtlSeconds)
}

/** Sends a new subscriber of a cache channel the cached event, or `cache_miss`. */
export async function replayCache (hub: Hub, conn: Connection, channel: string): Promise<void> {
  const entry = await hub.adapter.getCache(conn.app.id, channel)
  if (!conn.open || !conn.channels.has(channel)) return
  if (entry !== undefined) {
    const { frames } = entry.event
    conn.send(conn.dialect.name === 'pusher' ? frames.pusher : frames.broadcastt)
    return
  }
  conn.sendEvent(conn.dialect.cacheMiss, {}, channel)
  hub.events.emit('cache_miss', { appId: conn.app.id, channel })
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
  return { event: entry.event.event, data: entry.event.data, ttl: entry.ttlSeconds }
}
