/**
 * Typed events the hub emits. Webhooks, metrics and host code (through `fastify.broadcastt.on`) listen
 * to these; the hub never calls them directly.
 *
 * Channel occupancy (`channel_occupied`, `channel_vacated`) and presence (`member_added`, `member_removed`)
 * events are cluster-wide: each transition is emitted exactly once in the whole cluster, by the node whose
 * atomic adapter call decided it (for a dead node's channels and members, by the survivor that removed its
 * records). The other events are about this node's own connections.
 */
export interface HubEvents {
  /** A channel got its first subscriber in the cluster (emitted once per transition, cluster-wide). */
  channel_occupied: [{ appId: string, channel: string }]
  /** A channel lost its last subscriber in the cluster (emitted once per transition, cluster-wide). */
  channel_vacated: [{ appId: string, channel: string }]
  /** A connection was accepted (after `connection_established` was sent). */
  connection_opened: [{ appId: string, socketId: string }]
  /** An upgrade was refused with `code` (`appId` absent when the key names no app). */
  connection_refused: [{ appId?: string | undefined, code: number }]
  /**
   * A connection closed and was removed from every channel. `code`: the close code the server sent when it
   * closed the connection, else the one the client sent (1005 none, 1006 the socket dropped).
   */
  connection_closed: [{ appId: string, socketId: string, code?: number }]
  /** A user's first connection in the cluster joined a presence channel (once per transition, cluster-wide). */
  member_added: [{ appId: string, channel: string, userId: string, userInfo: unknown }]
  /** A user's last connection in the cluster left a presence channel (once per transition, cluster-wide). */
  member_removed: [{ appId: string, channel: string, userId: string }]
  /**
   * A client event was accepted and forwarded. `data` is the event's data as a string (as delivered);
   * `userId` is the sender's presence user id on presence channels.
   */
  client_event: [{ appId: string, channel: string, event: string, data: string, socketId: string, userId?: string }]
  /** A connection subscribed to a cache channel that had no cached event. */
  cache_miss: [{ appId: string, channel: string }]
  /** A connection signed in as a user. */
  user_signed_in: [{ appId: string, userId: string, socketId: string }]
  /**
   * A connection joined or left a channel on this node; `localCount` is this node's subscriber count after
   * the change (0 when the channel was vacated here). The `subscription_count` webhook asks the adapter for
   * the cluster-wide count.
   */
  subscription_count: [{ appId: string, channel: string, localCount: number }]
  /**
   * A connection of this node subscribed to a channel, or left it (by unsubscribing or closing). Emitted only
   * while someone listens (the debug console), so they cost nothing otherwise.
   */
  subscribed: [{ appId: string, channel: string, socketId: string }]
  unsubscribed: [{ appId: string, channel: string, socketId: string }]
  /**
   * A backend (REST, the programmatic API, the console's form) triggered an event through this node and its
   * publication completed. `data` is the event's data as it travels (a string). Emitted only while someone
   * listens.
   */
  event_triggered: [{ appId: string, channels: readonly string[], event: string, data: string, socketId?: string }]

  /**
   * An app of the app store changed and this node applied it (docs/apps.md): `updated` (open connections
   * hold the new settings), `disabled` (they were closed 4003) or `deleted` (closed 4001; also a row that
   * no longer passes the schema). `connections`: this node's open connections it touched.
   */
  app_changed: [{ appId: string, change: 'updated' | 'disabled' | 'deleted', connections: number }]

  // Webhook delivery outcomes (src/webhooks), for metrics. Emitted by the webhook manager, not the hub.
  /** A webhook request was answered 2xx. `attempts` counts this one; `events` is the batch's size. */
  webhook_delivered: [{ appId: string, url: string, events: number, attempts: number }]
  /** A webhook request failed (non-2xx, timeout, network error) and will be retried. */
  webhook_retried: [{ appId: string, url: string, attempt: number, reason: string }]
  /** A webhook was given up after the retry horizon (or its URL is no longer configured). */
  webhook_failed: [{ appId: string, url: string, events: number, reason: string }]
  /**
   * Events could not be queued because the app's queue for their cause was full; `events` of them were not
   * sent. `cause`: `lifecycle` (channel_occupied/vacated), `member`, `client` or `other`.
   */
  webhook_overflow: [{ appId: string, cause: 'lifecycle' | 'member' | 'client' | 'other', url: string, events: number }]
}

export type HubEventName = keyof HubEvents
