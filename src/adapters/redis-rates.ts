/**
 * Per-app rates on Redis (`Adapter.takeTokens`): one script call on the bucket's own key per request, so
 * every node takes from the same bucket and N nodes allow the app's rate, not N times it. While Redis is
 * unreachable each node counts the rate alone (a documented N× at worst), so requests are never refused
 * for want of Redis.
 */
import type { Redis } from 'ioredis'
import { TokenBuckets } from '../hub/token-bucket.js'
import { SCRIPTS } from './redis-scripts.js'

export class RedisRates {
  readonly #local = new TokenBuckets()

  constructor (private readonly keyPrefix: string) {}

  /** Takes `count` tokens through `client` (undefined while Redis is unreachable: counted by this node). */
  async take (client: Redis | undefined, appId: string, bucket: string, perSecond: number, count: number): Promise<boolean> {
    if (perSecond <= 0) return true
    if (client === undefined) return this.#local.take(`${appId}\n${bucket}`, perSecond, count, Date.now())
    const key = `${this.keyPrefix}r:${appId}:${bucket}`
    return await SCRIPTS.takeTokens.run(client, [this.keyPrefix, perSecond, count], [key]) === 1
  }
}
