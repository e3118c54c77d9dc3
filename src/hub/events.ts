/**
 * Typed events the hub emits. Webhooks, metrics and host code (through `fastify.broadcastt.on`) listen
 * to these; the hub never calls them directly.
 *
 * Channel occupancy events are per node; presence events (`member_added`, `member_removed`) are emitted
 * once per cluster, by the node whose adapter call decided them.
 */
export interface HubEvents {
  /** A channel got its first subscriber (on this node). */
  channel_occupied: [{ appId: string, channel: string }]
  /** A channel lost its last subscriber (on this node). */
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
  /** A user's first connection joined a presence channel. */
  member_added: [{ appId: string, channel: string, userId: string, userInfo: unknown }]
  /** A user's last connection left a presence channel. */
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
}

export type HubEventName = keyof HubEvents
