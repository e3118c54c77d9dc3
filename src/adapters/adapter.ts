/**
 * The adapter moves messages and shared state between nodes. One small interface, modelled on socket.io's
 * adapter and centrifuge's broker + presence manager: the hub publishes through it and receives deliveries
 * from it, so single-node (memory) and cluster modes run the same delivery path.
 *
 * Every state method has cluster-wide semantics and is atomic: its result alone decides what the hub does
 * (e.g. `addMember` says whether the user is new, so exactly one node sends `member_added`). A Redis adapter
 * implements each one as a single Lua script.
 */
import type { ChannelFrames } from '../protocol/codec.js'

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
   * (→ `member_added`); `members` is the member list right after the addition.
   */
  | { readonly ok: true, readonly first: boolean, readonly members: readonly PresenceMember[] }

/** The last event triggered on a cache channel. */
export interface CachedEvent {
  /** Event name. */
  readonly event: string
  /** The event's `data` as the backend sent it (a string; non-string data is stored serialized). */
  readonly data: string
  /** The frames to replay to a new subscriber. */
  readonly frames: ChannelFrames
}

/** A cached event and the whole seconds it has left to live. */
export interface CacheEntry {
  readonly event: CachedEvent
  readonly ttlSeconds: number
}

/** What an adapter calls back into: the local hub of this node. */
export interface LocalNode {
  /** Delivers a channel event to this node's subscribers, except the connection with `exceptSocketId`. */
  deliver (appId: string, channel: string, frames: ChannelFrames, exceptSocketId?: string): void
  /** This node's occupied channels of an app with their local subscriber counts. */
  localChannels (appId: string): Iterable<readonly [channel: string, subscribers: number]>
  /** This node's subscriber count of one channel. */
  localCount (appId: string, channel: string): number
  /** Closes this node's connections signed in as the user (4009). */
  terminateLocalUser (appId: string, userId: string): void
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
  /** Publishes a channel event to every node's subscribers (this node's included). */
  publish (appId: string, channel: string, frames: ChannelFrames, exceptSocketId?: string): Promise<void>
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
   * Removes connection `socketId` from the channel. Resolves to the user id when that was the user's last
   * connection there (→ `member_removed`), else undefined (also when the socket was not a member).
   */
  removeMember (appId: string, channel: string, socketId: string): Promise<string | undefined>
  /** The members of a presence channel, one entry per user. */
  members (appId: string, channel: string): Promise<PresenceMember[]>

  // Cache channels
  /** Keeps `event` as the channel's last event for `ttlSeconds`, replacing the previous one. */
  setCache (appId: string, channel: string, event: CachedEvent, ttlSeconds: number): Promise<void>
  /** The channel's last event, or undefined when none or expired. */
  getCache (appId: string, channel: string): Promise<CacheEntry | undefined>

  // Users
  /** Closes every connection signed in as the user, on every node, with 4009. */
  terminateUser (appId: string, userId: string): Promise<void>
  /**
   * Records that connection `socketId` signed in as the user; true when it is the user's first connection
   * (the user comes online). Used for watchlists. Idempotent per socket.
   */
  addUserConnection (appId: string, userId: string, socketId: string): Promise<boolean>
  /** Forgets a signed-in connection; true when it was the user's last one (the user goes offline). */
  removeUserConnection (appId: string, userId: string, socketId: string): Promise<boolean>
  /** The ids among `userIds` that are signed in on at least one connection, in the given order. */
  onlineUsers (appId: string, userIds: readonly string[]): Promise<string[]>

  close (): Promise<void>
}
