/**
 * A Redis Cluster of a test's own: 3 primaries (no replicas, no persistence) on free ports, children of the
 * test process, so one can be killed with SIGKILL and restarted (empty, keeping its node id and slots from its
 * nodes.conf), and slots moved, without touching the cluster other tests share.
 */
import { execFile, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { freePort, spawnRedisServer } from './redis-server.js'

const run = promisify(execFile)

export class OwnCluster {
  readonly #children = new Map<number, ChildProcess>()

  private constructor (readonly ports: number[], readonly dir: string) {}

  static async start (t: { teardown (fn: () => unknown): void }): Promise<OwnCluster> {
    const ports: number[] = []
    // The cluster bus listens on port + 10000: both must be free.
    while (ports.length < 3) {
      const port = await freePort()
      if (port < 55000 && !ports.includes(port)) ports.push(port)
    }
    const cluster = new OwnCluster(ports, mkdtempSync(join(tmpdir(), 'bt-cluster-')))
    t.teardown(async () => {
      await Promise.all(ports.map(async (port) => { await cluster.kill(port) }))
      rmSync(cluster.dir, { recursive: true, force: true })
    })
    for (const port of ports) await cluster.startNode(port)
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'])
    await cluster.waitOk()
    return cluster
  }

  get nodes (): Array<{ host: string, port: number }> { return this.ports.map((port) => ({ host: '127.0.0.1', port })) }

  /** Starts (or restarts) the primary on `port`; resolves once it accepts connections. */
  async startNode (port: number): Promise<void> {
    const dir = join(this.dir, String(port))
    await run('mkdir', ['-p', dir])
    const child = await spawnRedisServer(['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes',
      '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000', '--cluster-require-full-coverage', 'no',
      '--save', '', '--appendonly', 'no'])
    this.#children.set(port, child)
  }

  /** SIGKILL: no goodbye to clients; resolves once the process has exited. */
  async kill (port: number): Promise<void> {
    const child = this.#children.get(port)
    this.#children.delete(port)
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }

  async #client <T> (port: number, fn: (client: Redis) => Promise<T>): Promise<T> {
    const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 })
    try {
      return await fn(client)
    } finally {
      client.disconnect()
    }
  }

  /** Resolves once every primary that runs sees the cluster ok. */
  async waitOk (): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const states = await Promise.all([...this.#children.keys()].map(async (port) =>
        await this.#client(port, async (c) => await c.cluster('INFO')).catch(() => '')))
      if (states.every((info) => info.includes('cluster_state:ok'))) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error('cluster not ok after 30 s')
  }

  async slotOf (key: string): Promise<number> {
    return await this.#client(this.ports[0] as number, async (c) => Number(await c.cluster('KEYSLOT', key)))
  }

  /** The port of the primary that owns `slot`. */
  async ownerOf (slot: number): Promise<number> {
    const ranges = await this.#client(this.ports[0] as number, async (c) => await c.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>
    const range = ranges.find(([from, to]) => slot >= from && slot <= to)
    if (range === undefined) throw new Error(`slot ${slot} unassigned`)
    return range[2][1]
  }

  async #id (port: number): Promise<string> {
    return await this.#client(port, async (c) => String(await c.cluster('MYID')))
  }

  /**
   * Moves `slot` from its owner to the primary on `to`, as `redis-cli --cluster reshard` does for each slot:
   * IMPORTING / MIGRATING, MIGRATE of its keys in batches, then SETSLOT … NODE on every primary.
   */
  async moveSlot (slot: number, to: number): Promise<void> {
    const from = await this.ownerOf(slot)
    const [fromId, toId] = [await this.#id(from), await this.#id(to)]
    await this.#client(to, async (c) => await c.cluster('SETSLOT', slot, 'IMPORTING', fromId))
    await this.#client(from, async (c) => await c.cluster('SETSLOT', slot, 'MIGRATING', toId))
    await this.#client(from, async (c) => {
      for (;;) {
        const keys = await c.cluster('GETKEYSINSLOT', slot, 100) as string[]
        if (keys.length === 0) break
        await c.call('MIGRATE', '127.0.0.1', String(to), '', '0', '5000', 'KEYS', ...keys)
      }
    })
    for (const port of [to, from, ...this.ports.filter((p) => p !== to && p !== from)]) {
      await this.#client(port, async (c) => await c.cluster('SETSLOT', slot, 'NODE', toId))
    }
  }
}
