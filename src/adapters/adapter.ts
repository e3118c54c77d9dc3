/**
 * The adapter moves messages and shared state between nodes. One small interface, modelled on socket.io's
 * adapter and centrifuge's broker + presence manager: the hub publishes `ClusterMessage`s through it and
 * receives every message (its own included) back through `LocalNode.receive`, so single-node (memory) and
 * cluster (Redis) modes run the same delivery path.
 *
 * Every state method has cluster-wide semantics and is atomic: its result alone decides what the hub does
 * (e.g. `addMember` says whether the user is new, so exactly one node sends `member_added`; `subscribe` says
 * whether the channel became occupied, so exactly one node emits `channel_occupied`).
 */

/** A channel event (backend-triggered or a client event) as it travels: each node frames it for its sockets. */
export interface EventMessage {
  readonly type: 'event'
  readonly appId: string
  readonly channel: string
  /** Event name. */
  readonly name: string
  /** The event's data as sent (non-string data serialized). */
  readonly data: string
  /** The data as valid JSON, present only when `data` is not JSON (a backend's plain string). */
  readonly json?: string
  /** The sender's presence user id (client events on presence channels). */
  readonly userId?: string
  /** The connection that does not receive the event. */
  readonly except?: string
  /** Per-channel sequence number; set by the adapter on cached events. */
  readonly seq?: number
}

/** A presence member joined (`added`) or left a channel. */
export interface MemberMessage {
  readonly type: 'member'
  readonly appId: string
  readonly channel: string
  readonly added: boolean
  readonly userId: string
  /** The member's `user_info` (added only). */
  readonly info?: unknown
  readonly except?: string
  /** The per-channel sequence number the adapter returned with the decision. */
  readonly seq: number
}

/** Close every connection signed in as the user (4009). */
export interface TerminateMessage {
  readonly type: 'terminate'
  readonly appId: string
  readonly userId: string
}

/** A watched user came online (first signed-in connection, cluster-wide) or went offline (last one gone). */
export interface WatchlistMessage {
  readonly type: 'watchlist'
  readonly appId: string
  readonly userId: string
  readonly online: boolean
}

/** An app changed in its store (`fastify.broadcastt.appChanged`): every node reloads it and applies it. */
export interface AppChangedMessage {
  readonly type: 'app_changed'
  readonly appId: string
}

export type ClusterMessage = EventMessage | MemberMessage | TerminateMessage | WatchlistMessage | AppChangedMessage

/** Subscriber counts of one channel, cluster-wide. */
export interface ChannelCounts {
  subscriptionCount: number
  /** Distinct presence members; present for presence channels only. */
  userCount?: number
}

/** One presence member: a user id and the `user_info` of the connection that made it a member. */
export interface PresenceMember {
  readonly id: string
  /** Any JSON value; `null` when the client sent none. */
  readonly info: unknown
}

/** The outcome of `addMember`. */
export type AddMemberResult =
  /** The channel already has `maxMembers` other users: the connection is not added. */
  | { readonly ok: false }
  /**
   * The connection was added. `first` is true when it is the user's first connection in the channel
   * (→ `member_added`); `members` is the member list right after the addition, as of sequence `seq`.
   */
  | { readonly ok: true, readonly first: boolean, readonly members: readonly PresenceMember[], readonly seq: number }

/** The outcome of `removeMember` when it was the user's last connection in the channel. */
export interface RemovedMember {
  readonly userId: string
  readonly seq: number
}

/** The last event triggered on a cache channel and the whole seconds it has left to live. */
export interface CacheEntry {
  readonly event: EventMessage & { readonly seq: number }
  readonly ttlSeconds: number
}

/** What an adapter calls back into: the local hub of this node. */
export interface LocalNode {
  /** Handles a message published by any node (this one included). */
  receive (message: ClusterMessage): void
  /** This node's subscriber count of one channel. */
  localCount (appId: string, channel: string): number
  /**
   * Transitions the adapter decided outside a hub call: a dead node's records removed by this node (exactly
   * one survivor decides each), or this node's own records restored or cleaned up after Redis came back.
   * The hub announces each (`member_added`/`member_removed` to subscribers, hub events, watchlist notices).
   */
  decided (decisions: Decisions): void
}

/** Cluster-wide transitions decided by the adapter on its own (see `LocalNode.decided`). */
export interface Decisions {
  readonly occupied?: ReadonlyArray<{ readonly appId: string, readonly channel: string }>
  readonly vacated?: ReadonlyArray<{ readonly appId: string, readonly channel: string }>
  readonly added?: ReadonlyArray<{
    readonly appId: string, readonly channel: string, readonly member: PresenceMember, readonly seq: number
  }>
  readonly removed?: ReadonlyArray<{ readonly appId: string, readonly channel: string, readonly userId: string, readonly seq: number }>
  readonly online?: ReadonlyArray<{ readonly appId: string, readonly userId: string }>
  readonly offline?: ReadonlyArray<{ readonly appId: string, readonly userId: string }>
}

export interface Adapter {
  /** Unique id of this node, used to drop a node's own echo. */
  readonly nodeId: string
  /**
   * Whether the adapter can reach the state it shares with other nodes right now. The memory adapter always
   * can; a networked one (Redis) answers false while its connection is down, and readiness reports 503.
   */
  ready (): boolean
  /** Called once by the hub before any other call. */
  attach (node: LocalNode): Promise<void>

  /**
   * This node got its first local subscriber of the channel. Resolves once this node receives the channel's
   * messages; true when the channel became occupied cluster-wide (→ `channel_occupied`).
   */
  subscribe (appId: string, channel: string): Promise<boolean>
  /** This node lost its last local subscriber of the channel; true when the channel became vacated cluster-wide. */
  unsubscribe (appId: string, channel: string): Promise<boolean>
  /** This node's subscriber count of a subscribed channel changed; the adapter reads it with `localCount`. */
  countChanged (appId: string, channel: string): void
  /**
   * Sends a message to every node that should handle it (this one included): channel messages to the nodes
   * subscribed to the channel, the others to every node; in call order per channel. With `cacheSeconds`,
   * an event message is also kept as the channel's cached event, atomically with its publication.
   */
  publish (message: ClusterMessage, cacheSeconds?: number): Promise<void>

  /** Occupied channels of an app whose name starts with `prefix`, with their counts. */
  channels (appId: string, prefix?: string): Promise<Map<string, ChannelCounts>>
  /** Counts of one channel; `subscriptionCount` 0 when it is not occupied. */
  channel (appId: string, channel: string): Promise<ChannelCounts>

  // Presence: members keyed by user id; one user may be present through several connections.
  /**
   * Adds connection `socketId` to the channel as `member`. Refused when the user is not yet a member and the
   * channel already has `maxMembers` users. Adding the same socket twice is a no-op (`first: false`).
   */
  addMember (appId: string, channel: string, socketId: string, member: PresenceMember, maxMembers: number):
  Promise<AddMemberResult>
  /**
   * Removes connection `socketId` from the channel. Resolves to the user when that was the user's last
   * connection there (→ `member_removed`), else undefined (also when the socket was not a member).
   */
  removeMember (appId: string, channel: string, socketId: string): Promise<RemovedMember | undefined>
  /** The members of a presence channel, one entry per user. */
  members (appId: string, channel: string): Promise<PresenceMember[]>

  /** The channel's last cached event (see `publish`), or undefined when none or expired. */
  getCache (appId: string, channel: string): Promise<CacheEntry | undefined>

  // Users
  /**
   * Records that connection `socketId` signed in as the user; true when it is the user's first connection
   * (the user comes online). Used for watchlists. Idempotent per socket.
   */
  addUserConnection (appId: string, userId: string, socketId: string): Promise<boolean>
  /** Forgets a signed-in connection; true when it was the user's last one (the user goes offline). */
  removeUserConnection (appId: string, userId: string, socketId: string): Promise<boolean>
  /** The ids among `userIds` that are signed in on at least one connection, in the given order. */
  onlineUsers (appId: string, userIds: readonly string[]): Promise<string[]>

  // Per-app connection quota
  /** Counts a new connection of the app unless the app already has `max` cluster-wide; false when refused. */
  addConnection (appId: string, max: number): Promise<boolean>
  /** Forgets a connection counted by `addConnection`. */
  removeConnection (appId: string): Promise<void>

  // Per-app rates (backend events, REST reads)
  /**
   * Takes `count` tokens, all or none, from the app's `bucket`: a token bucket holding one second of
   * `perSecond` and refilled continuously, shared by every node. False when it holds fewer (over the rate).
   */
  takeTokens (appId: string, bucket: string, perSecond: number, count: number): Promise<boolean>

  /**
   * Resolves once this node has received (through `LocalNode.receive`) every message whose `publish` had
   * resolved, on any node, before the call. A sync point for tests (`fastify.broadcastt.settle()`); the hub
   * never calls it. Optional: an adapter without it is taken to deliver within `publish`.
   */
  barrier? (): Promise<void>

  close (): Promise<void>
}

/** Whether a message belongs to a channel (and travels only to the nodes subscribed to it). */
export function channelOf (message: ClusterMessage): string | undefined {
  return message.type === 'event' || message.type === 'member' ? message.channel : undefined
}
