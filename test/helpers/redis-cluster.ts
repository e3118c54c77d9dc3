/**
 * Redis Cluster for tests: `REDIS_CLUSTER_NODES` (default 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003), which
 * .ci/run starts (scripts/redis-cluster.sh); started here too when nothing answers, for local runs. Shared
 * with other test runs: every test uses a key prefix of its own and deletes only its own keys afterwards.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Cluster, Redis } from 'ioredis'
import { RedisAdapter } from '../../src/adapters/redis.js'
import type { RedisAdapterOptions } from '../../src/adapters/redis-options.js'
import { scanKeys } from './redis.js'

export const CLUSTER_NODES = (process.env.REDIS_CLUSTER_NODES ?? '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003')
  .split(',').map((part) => {
    const [host = '', port = ''] = part.trim().split(':')
    return { host, port: Number(port) }
  })

interface Teardown { teardown (fn: () => unknown): void }

const SCRIPT = fileURLToPath(new URL('../../scripts/redis-cluster.sh', import.meta.url))

/** Starts the cluster of scripts/redis-cluster.sh on the first node's port when no node answers. */
export async function ensureCluster (nodes = CLUSTER_NODES): Promise<void> {
  const first = nodes[0]
  if (first === undefined) throw new Error('REDIS_CLUSTER_NODES is empty')
  const probe = new Redis({ host: first.host, port: first.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  probe.on('error', () => {})
  try {
    await probe.connect()
    if ((await probe.cluster('INFO')).includes('cluster_state:ok')) return
  } catch {
    // nothing answers: start it below
  } finally {
    probe.disconnect()
  }
  await promisify(execFile)(SCRIPT, [String(first.port)])
}

/** A client of the whole cluster, closed when the test ends. */
export function testCluster (t: Teardown, nodes = CLUSTER_NODES): Cluster {
  const cluster = new Cluster(nodes, { scaleReads: 'master' })
  t.teardown(() => { cluster.disconnect() })
  return cluster
}

/** A fresh key prefix whose keys (on every primary) are deleted when the test ends. */
export function clusterPrefix (t: Teardown, nodes = CLUSTER_NODES): string {
  const prefix = `bt-test:${randomUUID().slice(0, 8)}:`
  t.teardown(async () => { await deleteClusterKeys(nodes, prefix) })
  return prefix
}

export async function deleteClusterKeys (nodes: ReadonlyArray<{ host: string, port: number }>, prefix: string): Promise<void> {
  const cluster = new Cluster([...nodes], { lazyConnect: true, scaleReads: 'master', clusterRetryStrategy: () => null })
  cluster.on('error', () => {})
  try {
    await cluster.connect()
    await Promise.all(cluster.nodes('master').map(async (node) => {
      // one key per DEL: the keys of one primary lie in many slots
      await Promise.all((await scanKeys(node, prefix)).map(async (key) => await node.del(key)))
    }))
  } catch {
    // a test may have stopped its own cluster already
  } finally {
    cluster.disconnect()
  }
}

export function clusterAdapter (prefix: string, options: RedisAdapterOptions = {}): RedisAdapter {
  return new RedisAdapter({ nodes: CLUSTER_NODES, keyPrefix: prefix, ...options })
}
