/** Several Fastify nodes in one test process, sharing one Redis key prefix: a cluster. */
import type { BroadcasttOptions } from '../../src/index.js'
import { REDIS_URL, testPrefix } from './redis.js'
import { startServer, type TestServer } from './server.js'

interface Teardown { teardown (fn: () => unknown): void }

export async function startCluster (t: Teardown, nodes: number, options: Partial<BroadcasttOptions> = {},
  redis: { url?: string, nodeTtlSeconds?: number } = {}): Promise<TestServer[] & { keyPrefix: string }> {
  const keyPrefix = testPrefix(t, redis.url ?? REDIS_URL)
  const servers: TestServer[] = []
  for (let i = 0; i < nodes; i++) {
    servers.push(await startServer(t, {
      ...options,
      adapter: { type: 'redis', url: redis.url ?? REDIS_URL, keyPrefix, ...(redis.nodeTtlSeconds === undefined ? {} : { nodeTtlSeconds: redis.nodeTtlSeconds }) }
    }))
  }
  return Object.assign(servers, { keyPrefix })
}
