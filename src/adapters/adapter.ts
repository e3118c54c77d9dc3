/**
 * The adapter moves messages and shared state between nodes. One small interface, modelled on socket.io's
 * adapter and centrifuge's broker: the hub publishes through it and receives deliveries from it, so
 * single-node (memory) and cluster modes run the same delivery path.
 */
import type { ChannelFrames } from '../protocol/codec.js'

/** Subscriber counts of one channel, cluster-wide. */
export interface ChannelCounts {
  subscriptionCount: number
}

/** What an adapter calls back into: the local hub of this node. */
export interface LocalNode {
  /** Delivers a channel event to this node's subscribers, except the connection with `exceptSocketId`. */
  deliver (appId: string, channel: string, frames: ChannelFrames, exceptSocketId?: string): void
  /** This node's occupied channels of an app with their local subscriber counts. */
  localChannels (appId: string): Iterable<readonly [channel: string, subscribers: number]>
  /** This node's subscriber count of one channel. */
  localCount (appId: string, channel: string): number
}

export interface Adapter {
  /** Unique id of this node, used to drop a node's own echo. */
  readonly nodeId: string
  /** Called once by the hub before any other call. */
  attach (node: LocalNode): Promise<void>
  /** Publishes a channel event to every node's subscribers (this node's included). */
  publish (appId: string, channel: string, frames: ChannelFrames, exceptSocketId?: string): Promise<void>
  /** Occupied channels of an app whose name starts with `prefix`, with their counts. */
  channels (appId: string, prefix?: string): Promise<Map<string, ChannelCounts>>
  /** Counts of one channel; `subscriptionCount` 0 when it is not occupied. */
  channel (appId: string, channel: string): Promise<ChannelCounts>
  close (): Promise<void>
}
