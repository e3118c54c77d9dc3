/**
 * Per-app rates on Redis (`Adapter.takeTokens`): one script call on the bucket's own key per request, so
 * every node takes from the same bucket and N nodes allow the app's rate, not N times it. While Redis is
 * unreachable each node counts the rate alone (a documented N× at worst), so requests are never refused
 * for want of Redis.
 */
import { TokenBuckets } from '../hub/token-bucket.js'
import type { RedisKeys } from './redis-keys.js'
import { SCRIPTS, type RedisClient } from './redis-scripts.js'

export class RedisRates {
  readonly #local = new TokenBuckets()

  constructor (private readonly keys: RedisKeys) {}

  /** Takes `count` tokens through `client` (undefined while Redis is unreachable: counted by this node). */
  async take (client: RedisClient | undefined, appId: string, bucket: string, perSecond: number, count: number): Promise<boolean> {
    if (perSecond <= 0) return true
    if (client === undefined) return this.#local.take(`${appId}\n${bucket}`, perSecond, count, Date.now())
    return await SCRIPTS.takeTokens.run(client, [this.keys.prefix, perSecond, count], [this.keys.rate(appId, bucket)]) === 1
  }
}
