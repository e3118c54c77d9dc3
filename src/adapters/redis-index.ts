/**
 * A node's index in Redis (`{node}` slot): the channels where it subscribes or has presence members, and the
 * apps where it has signed-in connections or counts connections. Written before the node's first record
 * there and removed after its last, so whoever reaps or restores the node finds every record it has. A local
 * mirror saves the round trip when the entry is known to be there.
 */
import type { RedisKeys } from './redis-keys.js'
import type { RedisClient } from './redis-scripts.js'
import { fieldOf, type OwnedState } from './redis-state.js'

export class NodeIndex {
  readonly #channels = new Set<string>()
  readonly #apps = new Set<string>()

  constructor (private readonly client: RedisClient, private readonly keys: RedisKeys, private readonly node: string,
    private readonly owned: OwnedState) {}

  async channel (appId: string, channel: string): Promise<void> {
    const field = fieldOf(appId, channel)
    if (this.#channels.has(field)) return
    await this.client.sadd(this.keys.nodeChannels(this.node), field)
    this.#channels.add(field)
  }

  /** Drops the channel from the index once the node has nothing there. */
  async dropChannel (appId: string, channel: string): Promise<void> {
    const field = fieldOf(appId, channel)
    if (this.owned.inChannel(field) || !this.#channels.delete(field)) return
    await this.client.srem(this.keys.nodeChannels(this.node), field)
  }

  async app (appId: string): Promise<void> {
    if (this.#apps.has(appId)) return
    await this.client.sadd(this.keys.nodeApps(this.node), appId)
    this.#apps.add(appId)
  }

  /** Forgets the mirror (a restore is about to rewrite the index). */
  clear (): void {
    this.#channels.clear()
    this.#apps.clear()
  }

  /** After a restore, which wrote an entry for everything the node owns. */
  restored (): void {
    for (const field of [...this.owned.channels.keys(), ...this.owned.memberChannels.keys()]) this.#channels.add(field)
    for (const appId of this.owned.apps()) this.#apps.add(appId)
  }
}
