/** Several Fastify nodes in one test process, sharing one Redis key prefix: a cluster (on Redis Cluster with `cluster: true`). */
import type { BroadcasttOptions } from '../../src/index.js'
import { REDIS_URL, testPrefix } from './redis.js'
import { CLUSTER_NODES, clusterPrefix, ensureCluster } from './redis-cluster.js'
import { startServer, type TestServer } from './server.js'

interface Teardown { teardown (fn: () => unknown): void }

export async function startCluster (t: Teardown, nodes: number, options: Partial<BroadcasttOptions> = {},
  redis: { url?: string, nodeTtlSeconds?: number, cluster?: boolean } = {}): Promise<TestServer[] & { keyPrefix: string }> {
  if (redis.cluster === true) await ensureCluster()
  const keyPrefix = redis.cluster === true ? clusterPrefix(t) : testPrefix(t, redis.url ?? REDIS_URL)
  const ttl = redis.nodeTtlSeconds === undefined ? {} : { nodeTtlSeconds: redis.nodeTtlSeconds }
  const servers: TestServer[] = []
  for (let i = 0; i < nodes; i++) {
    servers.push(await startServer(t, {
      ...options,
      adapter: redis.cluster === true
        ? { type: 'redis-cluster', nodes: CLUSTER_NODES, keyPrefix, ...ttl }
        : { type: 'redis', url: redis.url ?? REDIS_URL, keyPrefix, ...ttl }
    }))
  }
  return Object.assign(servers, { keyPrefix })
}
