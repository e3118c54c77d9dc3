/**
 * Watchlists (PROTOCOL.md §8, app option `watchlist`): a signed-in connection names up to 100 user ids in
 * its `user_data.watchlist` and is told when they come online (first signed-in connection, cluster-wide) or
 * go offline (last one gone). Online state lives in the adapter; the notifications travel between nodes as
 * `watchlist` messages, and each node hands them to its local watchers (Hub.receive).
 */
import { WireError } from '../protocol/wire-errors.js'
import type { Connection } from './connection.js'
import { watchlistFrames } from './frames.js'
import type { Hub } from './hub.js'

/** The ids a sign-in's watchlist names: unique, the first `limits.watchlistSize` (4302 when there were more). */
function watchedIds (conn: Connection, watchlist: readonly string[]): string[] {
  const ids = [...new Set(watchlist)]
  const max = conn.app.limits.watchlistSize
  if (ids.length <= max) return ids
  conn.error(WireError.WatchlistLimit, `A watchlist may name at most ${max} users; the first ${max} are kept`)
  return ids.slice(0, max)
}

/**
 * After a sign-in on an app with watchlists: marks the user online (announcing it when it is their first
 * connection), starts watching the named users and tells the connection which of them are online now.
 */
export async function signedInWithWatchlist (hub: Hub, conn: Connection, userId: string, watchlist: readonly string[]):
Promise<void> {
  const appId = conn.app.id
  const ids = watchedIds(conn, watchlist)
  hub.watch(conn, ids)
  if (await hub.adapter.addUserConnection(appId, userId, conn.socketId)) {
    await hub.publish({ type: 'watchlist', appId, userId, online: true })
  }
  if (!conn.open) return // the hub's removeConnection has undone the above (conn.userId was already set)
  const online = ids.length === 0 ? [] : await hub.adapter.onlineUsers(appId, ids)
  if (online.length > 0) {
    const frames = watchlistFrames('online', online)
    conn.send(conn.dialect.name === 'pusher' ? frames.pusher : frames.broadcastt)
  }
}

/** A signed-in connection is gone: announces the user offline when it was their last connection. */
export async function userGone (hub: Hub, appId: string, userId: string, socketId: string): Promise<void> {
  if (await hub.adapter.removeUserConnection(appId, userId, socketId)) {
    await hub.publish({ type: 'watchlist', appId, userId, online: false })
  }
}
