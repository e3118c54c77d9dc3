/**
 * `npm run bench:cluster [-- --nodes 2,4,6 --redis single|cluster|both --subscribers N --events M --runs R]`:
 * what cluster mode costs, and how Redis traffic grows with the number of nodes.
 *
 * Measured in the same run, alternating, for each node count N: one node (memory adapter) with every
 * subscriber, then N nodes on Redis with the subscribers split between them and every event triggered on
 * the first node by signed REST requests (a window of K in flight) — and the same N nodes with every
 * subscriber on one node ("interest": the other nodes serve no subscriber of the channel, so they do not
 * subscribe to it and Redis does not send them its messages). Each node is this project's standalone
 * server in its own process with bench/probe.ts preloaded. Redis is the bench's own (a redis-server on a
 * free port, or a 3-primary Redis Cluster on ports 7201-7203 started by scripts/redis-cluster.sh), so its
 * counters are the bench's alone. Figures: deliveries/s, server CPU per delivery (all nodes' CPU over all
 * deliveries), latency from the driver's request to receipt (p50, p99), Redis CPU per delivery, Redis
 * commands per event (INFO commandstats deltas summed over the primaries) and bytes Redis sent per event
 * (total_net_output_bytes, the messages it pushed to subscribers included).
 *
 * Only the event window is measured: each shape first sends 100 unmeasured warm-up events (every process
 * compiles its delivery path once), then waits until the nodes are quiet (subscriptions, their Redis work
 * and the previous shape's closing clients done). What the window still holds besides the events is each
 * process's own background (timers, heartbeats): a few milliseconds per process and second (BENCH_DEBUG=1
 * prints the nodes' CPU per second just before each window).
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import os from 'node:os'
import { setTimeout as delay } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { Deliveries } from './clients.js'
import { eventData, type ProbeReply } from './ipc.js'
import { closeClients, openSubscribed, Rest, type Client } from './pusher.js'
import { now, until } from './scenarios/common.js'
import { APP, freePort } from './servers.js'

const PROBE = new URL('probe.ts', import.meta.url).href
const CACHE = new URL('.cache/', import.meta.url)
const CLUSTER_SCRIPT = new URL('../scripts/redis-cluster.sh', import.meta.url).pathname
const CLUSTER_PORT = 7201

type RedisKind = 'single' | 'cluster'

/** The bench's own Redis: its adapter configuration and its primaries (for their counters). */
class BenchRedis {
  private constructor (readonly kind: RedisKind, readonly adapter: Record<string, unknown>, readonly primaries: Redis[],
    readonly process?: ChildProcess) {}

  static async start (kind: RedisKind): Promise<BenchRedis> {
    if (kind === 'cluster') {
      execFileSync(CLUSTER_SCRIPT, [String(CLUSTER_PORT), '/tmp/broadcastt-bench-cluster'], { stdio: 'inherit' })
      const nodes = [0, 1, 2].map((i) => ({ host: '127.0.0.1', port: CLUSTER_PORT + i }))
      return new BenchRedis(kind, { type: 'redis-cluster', nodes }, nodes.map((n) => new Redis(n)))
    }
    const port = await freePort()
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' })
    process.once('exit', () => { child.kill('SIGKILL') })
    const primary = new Redis({ port, host: '127.0.0.1', retryStrategy: (n) => n < 50 ? 100 : null })
    primary.on('error', () => {}) // refused until the server listens; retried
    await primary.ping()
    return new BenchRedis(kind, { type: 'redis', url: `redis://127.0.0.1:${port}` }, [primary], child)
  }

  /** Commands executed, CPU seconds and bytes sent so far, summed over the primaries. */
  async counters (): Promise<{ commands: number, cpu: number, bytesOut: number }> {
    let commands = 0
    let cpu = 0
    let bytesOut = 0
    for (const primary of this.primaries) {
      const info = await primary.info('all')
      for (const match of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) if (match[1] !== 'info') commands += Number(match[2])
      cpu += Number(/^used_cpu_user:([\d.]+)/m.exec(info)?.[1] ?? 0) + Number(/^used_cpu_sys:([\d.]+)/m.exec(info)?.[1] ?? 0)
      bytesOut += Number(/^total_net_output_bytes:(\d+)/m.exec(info)?.[1] ?? 0)
    }
    return { commands, cpu, bytesOut }
  }

  async stop (): Promise<void> {
    for (const primary of this.primaries) primary.disconnect()
    this.process?.kill('SIGKILL')
  }
}

/** One node: the standalone server in its own process, on Redis when an adapter configuration is given. */
class Node {
  #cpu: ((usage: NodeJS.CpuUsage) => void) | undefined

  private constructor (readonly port: number, readonly child: ChildProcess, readonly config: string) {
    child.on('message', (reply: ProbeReply) => { if (reply.type === 'probe-cpu') this.#cpu?.(reply.usage) })
  }

  static async start (adapter: Record<string, unknown> | undefined): Promise<Node> {
    const port = await freePort()
    mkdirSync(CACHE, { recursive: true })
    const config = new URL(`cluster-${port}.json`, CACHE).pathname
    writeFileSync(config, JSON.stringify({
      apps: [{ ...APP, limits: { clientEventsPerSecond: 0 } }],
      maxConnectionsPerIp: 0,
      ...(adapter === undefined ? {} : { adapter })
    }))
    const child = fork(new URL('../dist/cli/main.js', import.meta.url).pathname, [], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', BROADCASTT_CONFIG: config },
      // BENCH_CPU_PROF=dir: each node writes a V8 CPU profile there when it stops (`node --cpu-prof`).
      execArgv: ['--import', 'tsx', '--import', PROBE, '--expose-gc',
        ...(process.env.BENCH_CPU_PROF === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`])],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc']
    })
    const node = new Node(port, child, config)
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null) throw new Error(`node exited (${child.exitCode})`)
      const ok = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1')
        socket.once('connect', () => { socket.destroy(); resolve(true) })
        socket.once('error', () => { resolve(false) })
      })
      if (ok) return node
      await delay(100)
    }
    throw new Error('node not listening after 60 s')
  }

  get wsUrl (): string { return `ws://127.0.0.1:${this.port}/app/${APP.key}?protocol=7&client=bench&version=1.0` }
  get httpUrl (): string { return `http://127.0.0.1:${this.port}` }

  async cpu (): Promise<number> {
    const usage = await new Promise<NodeJS.CpuUsage>((resolve) => {
      this.#cpu = resolve
      this.child.send({ type: 'probe-cpu' })
    })
    return (usage.user + usage.system) / 1e6
  }

  async stop (): Promise<void> {
    if (this.child.exitCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => { this.child.kill('SIGKILL') }, 5000)
    await exited
    clearTimeout(timer)
    rmSync(this.config, { force: true })
  }
}

interface Figures {
  deliveriesPerSecond: number
  cpuMicrosPerDelivery: number
  p50: number
  p99: number
  redisCpuMicrosPerDelivery: number
  redisCommandsPerEvent: number
  redisBytesPerEvent: number
}

/** Fan-out from the first node to subscribers on `subscriberNodes` (split evenly). */
async function fanout (nodes: Node[], subscriberNodes: Node[], redis: BenchRedis | undefined, subscribers: number, events: number,
  window: number): Promise<Figures> {
  const [first] = nodes
  if (first === undefined) throw new Error('no node')
  const clients: Client[] = []
  const share = Math.ceil(subscribers / subscriberNodes.length)
  for (const node of subscriberNodes) clients.push(...await openSubscribed(node.wsUrl, share, () => 'bench'))
  const rest = new Rest(first.httpUrl, window)
  const padding = 'x'.repeat(100)
  const cpuOf = async (): Promise<number> => (await Promise.all(nodes.map(async (n) => await n.cpu()))).reduce((a, b) => a + b, 0)
  /** Triggers `count` events, `window` in flight, and waits until every subscriber has every one. */
  const burst = async (count: number, measured: () => void): Promise<Deliveries> => {
    const deliveries = new Deliveries(clients.length, count)
    deliveries.attach(clients.map((c) => c.socket))
    let failure: Error | undefined
    deliveries.onClientClosed = (code) => { failure ??= new Error(`a client was closed (${code})`) }
    let next = 0
    const fire = (): void => {
      const i = next++
      deliveries.requestedAt[i] = now()
      rest.post('events', JSON.stringify({ name: 'tick', channel: 'bench', data: eventData(i, padding) }))
        .catch((error: Error) => { failure ??= error })
    }
    deliveries.onEventComplete = () => { if (next < count) fire() }
    measured()
    for (let k = 0; k < Math.min(window, count); k++) fire()
    await until(() => deliveries.completed === count || failure !== undefined, () => deliveries.total, 'cluster fan-out')
    for (const { socket } of clients) { socket.removeAllListeners('message'); socket.removeAllListeners('close') }
    if (failure !== undefined) throw failure
    if (deliveries.unexpected > 0) throw new Error(`${deliveries.unexpected} unexpected frames: ${deliveries.firstUnexpected ?? ''}`)
    return deliveries
  }
  try {
    // Warm-up, not measured: every process compiles its delivery path once, whatever the number of nodes.
    await burst(Math.min(100, events), () => {})
    // Only the event window is measured: the set-up's work (subscriptions, their Redis scripts and counts,
    // the warm-up, the previous shape's clients closing) must be over before it starts.
    await quiet(cpuOf, nodes.length)
    const cpuBefore = await cpuOf()
    const redisBefore = await redis?.counters()
    let start = 0
    const deliveries = await burst(events, () => { start = now() })
    const seconds = (deliveries.lastAt - start) / 1000
    const cpu = await cpuOf() - cpuBefore
    const redisAfter = await redis?.counters()
    const latency = deliveries.percentiles('request')
    return {
      deliveriesPerSecond: deliveries.total / seconds,
      cpuMicrosPerDelivery: cpu * 1e6 / deliveries.total,
      p50: latency.p50,
      p99: latency.p99,
      redisCpuMicrosPerDelivery: redisBefore === undefined || redisAfter === undefined ? 0 : (redisAfter.cpu - redisBefore.cpu) * 1e6 / deliveries.total,
      // less the one INFO of the counters themselves (not counted), per event
      redisCommandsPerEvent: redisBefore === undefined || redisAfter === undefined ? 0 : (redisAfter.commands - redisBefore.commands) / events,
      redisBytesPerEvent: redisBefore === undefined || redisAfter === undefined ? 0 : (redisAfter.bytesOut - redisBefore.bytesOut) / events
    }
  } finally {
    closeClients(clients)
    await rest.close()
  }
}

/**
 * Waits (at most 10 s) until the nodes use under 1.2 % of a core each over 250 ms: what remains then is each
 * process's own background (timers, heartbeats; ~5 ms of CPU per second for an idle node with 1,000
 * connections), which the event window cannot avoid.
 */
async function quiet (cpuOf: () => Promise<number>, nodes: number): Promise<void> {
  let last = await cpuOf()
  for (let i = 0; i < 40; i++) {
    await delay(250)
    const current = await cpuOf()
    if (current - last < 0.003 * nodes) {
      if (process.env.BENCH_DEBUG !== undefined) process.stderr.write(`quiet: ${((current - last) * 4000).toFixed(1)} ms CPU/s\n`)
      return
    }
    last = current
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

const FIELDS = ['deliveriesPerSecond', 'cpuMicrosPerDelivery', 'p50', 'p99', 'redisCpuMicrosPerDelivery', 'redisCommandsPerEvent',
  'redisBytesPerEvent'] as const

const summary = (list: Figures[]): Figures =>
  Object.fromEntries(FIELDS.map((field) => [field, median(list.map((f) => f[field]))])) as unknown as Figures

async function withNodes<T> (count: number, adapter: Record<string, unknown> | undefined, body: (nodes: Node[]) => Promise<T>): Promise<T> {
  const nodes = await Promise.all(Array.from({ length: count }, async () => await Node.start(adapter)))
  try {
    return await body(nodes)
  } finally {
    await Promise.all(nodes.map(async (n) => { await n.stop() }))
  }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      subscribers: { type: 'string' },
      events: { type: 'string' },
      runs: { type: 'string' },
      window: { type: 'string' },
      nodes: { type: 'string' },
      redis: { type: 'string' }
    }
  })
  const subscribers = Number(values.subscribers ?? 2000)
  const events = Number(values.events ?? 1000)
  const runs = Number(values.runs ?? 1)
  const window = Number(values.window ?? 4)
  const counts = (values.nodes ?? '2').split(',').map(Number)
  if (counts.some((n) => !Number.isInteger(n) || n < 2)) throw new Error('--nodes: node counts of 2 or more, e.g. 2,4,6')
  const kinds: RedisKind[] = values.redis === 'both' ? ['single', 'cluster'] : [values.redis === 'cluster' ? 'cluster' : 'single']
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' }) // the nodes run dist/, as `npm start` does
  const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ')
  const out: string[] = [
    `cluster fan-out: ${subscribers} subscribers, ${events} events of ~130 B, window ${window}, ${runs} run(s) (medians), ` +
      `${os.cpus().length} CPUs, load average at start ${load()}`, ''
  ]
  for (const kind of kinds) {
    const redis = await BenchRedis.start(kind)
    try {
      out.push(`### ${kind === 'cluster' ? 'Redis Cluster (3 primaries, sharded pub/sub)' : 'single Redis'}`, '',
        '| nodes | shape | deliveries/s | server CPU/delivery (µs) | p50 (ms) | p99 (ms) | vs 1 node: CPU | p99 | deliveries/s | Redis CPU/delivery (µs) | Redis commands/event | Redis bytes out/event |',
        '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
      for (const count of counts) {
        const results: Record<'single' | 'split' | 'interest', Figures[]> = { single: [], split: [], interest: [] }
        for (let run = 0; run < runs; run++) {
          results.single.push(await withNodes(1, undefined, async (nodes) => await fanout(nodes, nodes, undefined, subscribers, events, window)))
          const adapter = { ...redis.adapter, keyPrefix: `bench-cluster-${randomUUID().slice(0, 8)}:` }
          await withNodes(count, adapter, async (nodes) => {
            results.split.push(await fanout(nodes, nodes, redis, subscribers, events, window))
            results.interest.push(await fanout(nodes, nodes.slice(-1), redis, subscribers, events, window))
          })
        }
        const base = summary(results.single)
        const f1 = (n: number): string => n.toFixed(1)
        const f2 = (n: number): string => n.toFixed(2)
        const row = (shape: string, f: Figures): string => `| ${count} | ${shape} | ${f.deliveriesPerSecond.toFixed(0)} | ${f2(f.cpuMicrosPerDelivery)} | ` +
          `${f2(f.p50)} | ${f2(f.p99)} | ${f2(f.cpuMicrosPerDelivery / base.cpuMicrosPerDelivery)}× | ${f2(f.p99 / base.p99)}× | ` +
          `${f2(f.deliveriesPerSecond / base.deliveriesPerSecond)}× | ${f2(f.redisCpuMicrosPerDelivery)} | ${f1(f.redisCommandsPerEvent)} | ` +
          `${f.redisBytesPerEvent.toFixed(0)} |`
        out.push(`| 1 | memory adapter, same run | ${base.deliveriesPerSecond.toFixed(0)} | ${f2(base.cpuMicrosPerDelivery)} | ${f2(base.p50)} | ` +
          `${f2(base.p99)} | 1.00× | 1.00× | 1.00× | | | |`)
        out.push(row(`subscribers on all ${count}`, summary(results.split)))
        out.push(row('subscribers on 1 (interest)', summary(results.interest)))
        process.stderr.write(`${out.slice(-3).join('\n')}\n${kind}, ${count} nodes done (load average ${load()})\n`)
      }
      out.push('')
    } finally {
      await redis.stop()
    }
  }
  out.push(`load average at end ${load()}`, '')
  process.stdout.write(out.join('\n'))
}

await main()
