/**
 * Typed events the hub emits. Webhooks, metrics and host code (through `fastify.broadcastt.on`) listen
 * to these; the hub never calls them directly.
 */
export interface HubEvents {
  /** A channel got its first subscriber. */
  channel_occupied: [{ appId: string, channel: string }]
  /** A channel lost its last subscriber. */
  channel_vacated: [{ appId: string, channel: string }]
  /** A connection was accepted (after `connection_established` was sent). */
  connection_opened: [{ appId: string, socketId: string }]
  /** A connection closed and was removed from every channel. */
  connection_closed: [{ appId: string, socketId: string }]
}

export type HubEventName = keyof HubEvents
