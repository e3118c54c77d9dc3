/**
 * `npm run bench:cluster [-- --subscribers N --events M --runs R]`: the cost of cluster mode.
 *
 * Fan-out measured twice in the same run, alternating: one node (memory adapter) with every subscriber,
 * and two nodes on Redis (REDIS_URL, default redis://127.0.0.1:6379, a key prefix of their own) with the
 * subscribers split between them and every event triggered on the first node by signed REST requests (a
 * window of K in flight). Each node is this project's standalone server in its own process with
 * bench/probe.ts preloaded. Figures: deliveries/s, server CPU per delivery (all nodes' CPU over all
 * deliveries; Redis's own CPU is not included, it is a shared instance), and latency from the driver's
 * request to receipt (p50, p99), with the cluster's ratios to the single node.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import os from 'node:os'
import { setTimeout as delay } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { Deliveries } from './clients.js'
import { eventData, type ProbeReply } from './ipc.js'
import { closeClients, openSubscribed, Rest, type Client } from './pusher.js'
import { now, until } from './scenarios/common.js'
import { APP, freePort } from './servers.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const PROBE = new URL('probe.ts', import.meta.url).href
const CACHE = new URL('.cache/', import.meta.url)

/** One node: the standalone server in its own process, on Redis when `keyPrefix` is given. */
class Node {
  #cpu: ((usage: NodeJS.CpuUsage) => void) | undefined

  private constructor (readonly port: number, readonly child: ChildProcess, readonly config: string) {
    child.on('message', (reply: ProbeReply) => { if (reply.type === 'probe-cpu') this.#cpu?.(reply.usage) })
  }

  static async start (keyPrefix: string | undefined): Promise<Node> {
    const port = await freePort()
    mkdirSync(CACHE, { recursive: true })
    const config = new URL(`cluster-${port}.json`, CACHE).pathname
    writeFileSync(config, JSON.stringify({
      apps: [{ ...APP, limits: { clientEventsPerSecond: 0 } }],
      ...(keyPrefix === undefined ? {} : { adapter: { type: 'redis', url: REDIS_URL, keyPrefix } })
    }))
    const child = fork(new URL('../dist/cli/main.js', import.meta.url).pathname, [], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', BROADCASTT_CONFIG: config },
      execArgv: ['--import', 'tsx', '--import', PROBE, '--expose-gc'],
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

interface Figures { deliveriesPerSecond: number, cpuMicrosPerDelivery: number, p50: number, p99: number }

async function fanout (nodes: Node[], subscribers: number, events: number, window: number): Promise<Figures> {
  const [first] = nodes
  if (first === undefined) throw new Error('no node')
  const clients: Client[] = []
  const share = Math.ceil(subscribers / nodes.length)
  for (const node of nodes) clients.push(...await openSubscribed(node.wsUrl, share, () => 'bench'))
  const rest = new Rest(first.httpUrl, window)
  try {
    const deliveries = new Deliveries(clients.length, events)
    deliveries.attach(clients.map((c) => c.socket))
    let failure: Error | undefined
    deliveries.onClientClosed = (code) => { failure ??= new Error(`a client was closed (${code})`) }
    let next = 0
    const padding = 'x'.repeat(100)
    const fire = (): void => {
      const i = next++
      deliveries.requestedAt[i] = now()
      rest.post('events', JSON.stringify({ name: 'tick', channel: 'bench', data: eventData(i, padding) }))
        .catch((error: Error) => { failure ??= error })
    }
    deliveries.onEventComplete = () => { if (next < events) fire() }
    const cpuOf = async (): Promise<number> => (await Promise.all(nodes.map(async (n) => await n.cpu()))).reduce((a, b) => a + b, 0)
    const cpuBefore = await cpuOf()
    const start = now()
    for (let k = 0; k < Math.min(window, events); k++) fire()
    await until(() => deliveries.completed === events || failure !== undefined, () => deliveries.total, 'cluster fan-out')
    if (failure !== undefined) throw failure
    const seconds = (deliveries.lastAt - start) / 1000
    const cpu = await cpuOf() - cpuBefore
    if (deliveries.unexpected > 0) throw new Error(`${deliveries.unexpected} unexpected frames: ${deliveries.firstUnexpected ?? ''}`)
    const latency = deliveries.percentiles('request')
    return {
      deliveriesPerSecond: deliveries.total / seconds,
      cpuMicrosPerDelivery: cpu * 1e6 / deliveries.total,
      p50: latency.p50,
      p99: latency.p99
    }
  } finally {
    closeClients(clients)
    await rest.close()
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { subscribers: { type: 'string' }, events: { type: 'string' }, runs: { type: 'string' }, window: { type: 'string' } } })
  const subscribers = Number(values.subscribers ?? 2000)
  const events = Number(values.events ?? 1000)
  const runs = Number(values.runs ?? 1)
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' }) // the nodes run dist/, as `npm start` does
  const window = Number(values.window ?? 4)
  const results: Record<'single' | 'cluster', Figures[]> = { single: [], cluster: [] }
  for (let run = 0; run < runs; run++) {
    for (const mode of ['single', 'cluster'] as const) {
      const prefix = mode === 'cluster' ? `bench-cluster:${randomUUID().slice(0, 8)}:` : undefined
      const nodes = await Promise.all((mode === 'cluster' ? [0, 1] : [0]).map(async () => await Node.start(prefix)))
      try {
        results[mode].push(await fanout(nodes, subscribers, events, window))
      } finally {
        await Promise.all(nodes.map(async (n) => { await n.stop() }))
      }
    }
  }
  const summary = (list: Figures[]): Figures => ({
    deliveriesPerSecond: median(list.map((f) => f.deliveriesPerSecond)),
    cpuMicrosPerDelivery: median(list.map((f) => f.cpuMicrosPerDelivery)),
    p50: median(list.map((f) => f.p50)),
    p99: median(list.map((f) => f.p99))
  })
  const single = summary(results.single)
  const cluster = summary(results.cluster)
  const row = (name: string, s: number, c: number, digits: number): string =>
    `| ${name} | ${s.toFixed(digits)} | ${c.toFixed(digits)} | ${(c / s).toFixed(2)}× |`
  process.stdout.write([
    `cluster fan-out: ${subscribers} subscribers (split over 2 nodes in cluster mode), ${events} events of ~130 B, ` +
      `window ${window}, ${runs} run(s), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${os.cpus().length} CPUs`,
    '',
    '| figure | single node | 2 nodes on Redis | cluster / single |',
    '| --- | ---: | ---: | ---: |',
    row('deliveries/s', single.deliveriesPerSecond, cluster.deliveriesPerSecond, 0),
    row('server CPU per delivery (µs)', single.cpuMicrosPerDelivery, cluster.cpuMicrosPerDelivery, 2),
    row('latency p50 (ms)', single.p50, cluster.p50, 2),
    row('latency p99 (ms)', single.p99, cluster.p99, 2),
    ''
  ].join('\n'))
}

await main()
