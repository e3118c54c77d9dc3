/**
 * Shapes shared by the webhook modules: the events in a webhook body (PROTOCOL.md §11), a delivery (one
 * signed request to one URL), and the `WebhookQueue` seam that keeps deliveries until they are done.
 */
import type { WebhookEventType } from '../options.js'

/** One event of a webhook body, as the receiver sees it. */
export type WebhookEvent =
  | { name: 'channel_occupied' | 'channel_vacated' | 'cache_miss', channel: string }
  | { name: 'member_added' | 'member_removed', channel: string, user_id: string }
  | { name: 'client_event', channel: string, event: string, data: string, socket_id: string, user_id?: string }
  | { name: 'subscription_count', channel: string, subscription_count: number }

export type { WebhookEventType }

/**
 * Why an event happened, for the queue's budget: each cause of an app has its own bound, so a flood of one
 * (anonymous clients opening and closing channels) cannot crowd out the others.
 */
export const WEBHOOK_CAUSES = ['lifecycle', 'member', 'client', 'other'] as const
export type WebhookCause = typeof WEBHOOK_CAUSES[number]

const CAUSE_OF: Readonly<Record<WebhookEvent['name'], WebhookCause>> = {
  channel_occupied: 'lifecycle',
  channel_vacated: 'lifecycle',
  member_added: 'member',
  member_removed: 'member',
  client_event: 'client',
  cache_miss: 'other',
  subscription_count: 'other'
}

export const causeOf = (event: WebhookEvent): WebhookCause => CAUSE_OF[event.name]

/** One request to make: the exact body is kept so every attempt sends (and signs) the same bytes. */
export interface Delivery {
  readonly appId: string
  /** The cause of every event in the body (a batch holds events of one cause). */
  readonly cause: WebhookCause
  readonly url: string
  /** `{"time_ms":…,"events":[…]}` */
  readonly body: string
  /** Events in the body, for metrics and logs. */
  readonly events: number
  /** When the delivery was created (ms); the retry horizon counts from here. */
  readonly createdAt: number
}

/** A delivery handed out by a queue, until it is acknowledged. */
export interface QueuedDelivery extends Delivery {
  /** The queue's id of the entry. */
  readonly id: string
}

/** Whether `push` stored the delivery, or the app's queue is full. */
export type PushResult = 'queued' | 'full'

/**
 * Where deliveries wait until they are delivered or given up. The memory queue hands them straight back;
 * the Redis queue keeps them in a stream with a consumer group, so a node that dies mid-retry leaves them to
 * another node (at least once: a delivery can be sent twice, never lost).
 */
export interface WebhookQueue {
  /** Whether a crash keeps what is queued (shown in logs and docs). */
  readonly durable: boolean
  /** Starts handing deliveries (new and taken over) to `take`, at most `capacity(appId, cause)` more per app and cause. */
  start (take: (delivery: QueuedDelivery) => void, capacity: (appId: string, cause: WebhookCause) => number): Promise<void>
  /** Stores a delivery to be handed out, unless its app and cause already have their bound waiting ('full'). */
  push (delivery: Delivery): Promise<PushResult>
  /** Makes sure the queue reads the app's deliveries (an app of a store, first seen after `start`). */
  watch? (appId: string): Promise<void>
  /** Forgets a delivery for good (delivered, or given up). */
  ack (delivery: QueuedDelivery): Promise<void>
  /** Stops handing out; what was not acknowledged stays queued (durable queues) or is dropped (memory). */
  close (): Promise<void>
}
