/**
 * Key and topic names of the Redis adapter (the layout is described in redis-scripts.ts). Every key of one
 * app + channel shares the hash tag `{app:channel}`, every key of one app `{app}`, a node's index `{node}`,
 * so each script touches one hash slot and runs on Redis Cluster as on a single Redis.
 */
export class RedisKeys {
  constructor (readonly prefix: string) {}

  /** The subscriber counts of a channel: the key that routes the channel's scripts. */
  channel (appId: string, channel: string): string { return `${this.prefix}c:{${appId}:${channel}}` }
  /** The pub/sub topic of a channel's messages. */
  topic (appId: string, channel: string): string { return `${this.prefix}m:{${appId}:${channel}}` }
  presenceInfo (appId: string, channel: string): string { return `${this.prefix}pi:{${appId}:${channel}}` }
  /** The connection counts of an app: the key that routes the app's scripts. */
  app (appId: string): string { return `${this.prefix}cc:{${appId}}` }
  /** "channel\nnode" for every node serving a channel of the app. */
  occupied (appId: string): string { return `${this.prefix}a:{${appId}}` }
  users (appId: string): string { return `${this.prefix}u:{${appId}}` }
  rate (appId: string, bucket: string): string { return `${this.prefix}r:{${appId}}:${bucket}` }
  /** "app\nchannel" where a node subscribes or has presence members. */
  nodeChannels (node: string): string { return `${this.prefix}n:{${node}}:ch` }
  /** Apps where a node has signed-in connections or counts connections. */
  nodeApps (node: string): string { return `${this.prefix}n:{${node}}:apps` }
  get nodes (): string { return `${this.prefix}{nodes}` }
  /** The topic of terminate, watchlist and app_changed notices and barriers: every node listens to it. */
  get all (): string { return `${this.prefix}{all}` }
}
