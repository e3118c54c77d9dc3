/**
 * Redis for tests: `REDIS_URL` (default redis://127.0.0.1:6379), shared with other test runs, so every test
 * uses a key prefix of its own and deletes only its own keys afterwards (never FLUSHALL).
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { RedisAdapter } from '../../src/adapters/redis.js'
import type { RedisAdapterOptions } from '../../src/adapters/redis-options.js'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

interface Teardown { teardown (fn: () => unknown): void }

/** A fresh key prefix whose keys are deleted when the test ends. */
export function testPrefix (t: Teardown, url = REDIS_URL): string {
  const prefix = `bt-test:${randomUUID().slice(0, 8)}:`
  t.teardown(async () => { await deleteKeys(url, prefix) })
  return prefix
}

/** Every key of one server (a single Redis, or one primary of a cluster) that starts with `prefix`. */
export async function scanKeys (client: Redis, prefix: string): Promise<string[]> {
  const out: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    out.push(...keys)
  } while (cursor !== '0')
  return out
}

export async function deleteKeys (url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await client.connect()
    const keys = await scanKeys(client, prefix)
    if (keys.length > 0) await client.del(...keys)
  } catch {
    // the test's own Redis may be gone already (the restart test stops it)
  } finally {
    client.disconnect()
  }
}

export function redisAdapter (prefix: string, options: RedisAdapterOptions = {}): RedisAdapter {
  return new RedisAdapter({ url: REDIS_URL, keyPrefix: prefix, ...options })
}

/** A fresh key prefix (keys deleted when the test ends) and a plain client to look at them, closed then too. */
export function testRedis (t: Teardown): { prefix: string, redis: Redis } {
  const prefix = testPrefix(t)
  const redis = new Redis(REDIS_URL)
  t.teardown(async () => { await redis.quit() })
  return { prefix, redis }
}
