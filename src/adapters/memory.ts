/**
 * The single-node adapter: publishing is a direct call into the local hub, and the local index is the
 * whole truth.
 */
import { randomUUID } from 'node:crypto'
import type { ChannelFrames } from '../protocol/codec.js'
import type { Adapter, ChannelCounts, LocalNode } from './adapter.js'

export class MemoryAdapter implements Adapter {
  readonly nodeId = randomUUID()
  #node: LocalNode | undefined

  async attach (node: LocalNode): Promise<void> {
    this.#node = node
  }

  #local (): LocalNode {
    if (this.#node === undefined) throw new Error('MemoryAdapter used before attach()')
    return this.#node
  }

  async publish (appId: string, channel: string, frames: ChannelFrames, exceptSocketId?: string): Promise<void> {
    this.#local().deliver(appId, channel, frames, exceptSocketId)
  }

  async channels (appId: string, prefix = ''): Promise<Map<string, ChannelCounts>> {
    const out = new Map<string, ChannelCounts>()
    for (const [name, subscriptionCount] of this.#local().localChannels(appId)) {
      if (name.startsWith(prefix)) out.set(name, { subscriptionCount })
    }
    return out
  }

  async channel (appId: string, channel: string): Promise<ChannelCounts> {
    return { subscriptionCount: this.#local().localCount(appId, channel) }
  }

  async close (): Promise<void> {
    this.#node = undefined
  }
}
