/**
 * Until the Redis adapter is in use here: the memory adapter plus what the webhook wiring looks for in a Redis
 * adapter (`keyPrefix`, `duplicateClient()`), so webhooks queue in Redis streams. Channel state stays on the
 * node; the webhook queue is what these tests are about.
 */
import { Redis } from 'ioredis'
import { MemoryAdapter } from '../../src/adapters/memory.js'

export class RedisQueuedAdapter extends MemoryAdapter {
  constructor (readonly keyPrefix: string, private readonly redisUrl: string) {
    super({ now: () => Date.now() })
  }

  duplicateClient (): Redis { return new Redis(this.redisUrl) }
}
