/**
 * `npm run bench`: fan-out benchmark of fastify-broadcastt against a minimal raw-`ws` broadcast server,
 * measured the same way in the same run.
 *
 *   npm run bench -- --subscribers 2000 --events 2000 --payload 100 [--only ours|ws] [--window 4]
 *                    [--timeout SECONDS] [--cpu-prof]
 *
 * (or BENCH_SUBSCRIBERS, BENCH_EVENTS, BENCH_PAYLOAD, BENCH_ONLY, BENCH_WINDOW, BENCH_TIMEOUT). For each
 * server: fork it (`--expose-gc`), measure its memory after a forced GC, open N subscribed clients, measure
 * again (bytes per idle connection), trigger M events on the channel and count N×M deliveries, their latency,
 * the throughput and the server's CPU time. Prints a table and the ratios, writes bench/results/latest.json,
 * and exits non-zero when a run is invalid (a missing delivery, an error) or the overall timeout hits.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process'
import { setTimeout as delay } from 'node:timers/promises'
import os from 'node:os'
import { parseArgs } from 'node:util'
import type { WebSocket } from 'ws'
import { Deliveries, dropClients, openClients } from './clients.js'
import type { FromChild, MemorySample, ToChild } from './ipc.js'
import { ratiosLine, ratiosOf, SERVER_LABEL, table, writeJson, type Result, type ServerKind } from './report.js'

interface Options {
  subscribers: number
  events: number
  payload: number
  only: ServerKind | undefined
  /** Events in flight at most (see `triggerAll`). */
  window: number
  /** Seconds the whole bench may take before it kills its children and exits 2 (see `defaultTimeout`). */
  timeout: number | undefined
  cpuProf: boolean
}

/** No delivery for this long during the trigger phase means deliveries were lost. */
const STALL_MS = 10_000
/** Clients opened and dropped before the memory baseline. */
const WARMUP_CLIENTS = 100
const ORIGIN = performance.timeOrigin
const now = (): number => ORIGIN + performance.now()

function parseOptions (): Options {
  const { values } = parseArgs({
    options: {
      subscribers: { type: 'string' },
      events: { type: 'string' },
      payload: { type: 'string' },
      only: { type: 'string' },
      window: { type: 'string' },
      timeout: { type: 'string' },
      'cpu-prof': { type: 'boolean' }
    }
  })
  const env = process.env
  const int = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined || raw === '') return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`)
    return n
  }
  const only = values.only ?? env.BENCH_ONLY
  if (only !== undefined && only !== '' && only !== 'ours' && only !== 'ws') throw new Error(`--only must be ours or ws, got ${only}`)
  return {
    subscribers: int('subscribers', values.subscribers ?? env.BENCH_SUBSCRIBERS, 2000, 1),
    events: int('events', values.events ?? env.BENCH_EVENTS, 2000, 1),
    payload: int('payload', values.payload ?? env.BENCH_PAYLOAD, 100, 0),
    only: only === 'ours' || only === 'ws' ? only : undefined,
    window: int('window', values.window ?? env.BENCH_WINDOW, 4, 1),
    timeout: int('timeout', values.timeout ?? env.BENCH_TIMEOUT, 0, 1) || undefined,
    cpuProf: values['cpu-prof'] ?? false
  }
}

/**
 * Seconds the whole run may take unless --timeout says otherwise: per server a minute (start-up and the two
 * settled memory samples, 10–30 s each), 5 ms per connection and 60 µs per delivery — well above what a
 * busy 2-core machine needs (the default 2,000 × 2,000 run measures 4 M deliveries per server and is
 * allowed 620 s in all).
 */
function defaultTimeout (options: Options, servers: number): number {
  const { subscribers: n, events: m } = options
  return Math.ceil(servers * (60 + n * 0.005 + n * m * 60e-6))
}

/** The soft limit on open files, as the shell reports it; Infinity when unlimited or unknown. */
function fileLimit (): number {
  try {
    const text = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()
    const n = Number(text)
    return Number.isInteger(n) ? n : Number.POSITIVE_INFINITY
  } catch {
    return Number.POSITIVE_INFINITY
  }
}

/** File descriptors kept free for everything that is not a client socket. */
const FD_RESERVE = 200

/** Caps the subscriber count to what the open-file limit allows (each process holds one fd per socket). */
function capSubscribers (options: Options): void {
  const limit = fileLimit()
  if (limit < 5000) console.log(`note: open-file limit (ulimit -n) is ${limit}; bench sizes are capped by it`)
  if (options.subscribers + FD_RESERVE > limit) {
    const capped = Math.max(1, limit - FD_RESERVE)
    console.log(`note: --subscribers ${options.subscribers} exceeds the open-file limit ${limit}; using ${capped}`)
    options.subscribers = capped
  }
}

const loadAverage = (): string => os.loadavg().map((n) => n.toFixed(2)).join(' ')

/** Every child alive, so that the overall timeout can kill them. */
const children = new Set<ChildProcess>()

/** A forked server child and the messages it sends, awaited by type. */
class Child {
  readonly process: ChildProcess
  readonly errors: string[] = []
  #waiters: Array<{ type: FromChild['type'], resolve: (m: FromChild) => void, reject: (e: Error) => void }> = []
  #exited: Error | undefined
  readonly exit: Promise<void>
  /** Called when the child dies or reports an error. */
  onFailure: (error: Error) => void = () => {}

  constructor (kind: ServerKind, options: Options) {
    // --no-flush-bytecode: V8 would otherwise drop the bytecode of functions unused for a few GCs, and the
    // many forced GCs of the memory measurement would move megabytes of code between its two samples.
    const execArgv = ['--import', 'tsx', '--expose-gc', '--no-flush-bytecode']
    if (options.cpuProf) execArgv.push('--cpu-prof', `--cpu-prof-dir=${new URL('results/profiles', import.meta.url).pathname}`)
    this.process = fork(new URL(`server-${kind}.ts`, import.meta.url), [String(options.payload)], { execArgv })
    children.add(this.process)
    this.process.on('message', (message: FromChild) => { this.#receive(message) })
    this.exit = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        children.delete(this.process)
        this.#exited = new Error(`${SERVER_LABEL[kind]} server exited (${signal ?? code})`)
        for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#exited)
        this.onFailure(this.#exited)
        resolve()
      })
    })
  }

  #receive (message: FromChild): void {
    if (message.type === 'error') {
      this.errors.push(message.message)
      this.onFailure(new Error(message.message))
      return
    }
    const at = this.#waiters.findIndex((waiter) => waiter.type === message.type)
    if (at >= 0) this.#waiters.splice(at, 1)[0]?.resolve(message)
  }

  send (message: ToChild): void {
    if (this.process.connected) this.process.send(message)
  }

  /** The next message of this type (after sending `request`, when given). */
  async next<T extends FromChild['type']> (type: T, request?: ToChild): Promise<Extract<FromChild, { type: T }>> {
    if (this.#exited !== undefined) throw this.#exited
    const reply = new Promise<FromChild>((resolve, reject) => { this.#waiters.push({ type, resolve, reject }) })
    if (request !== undefined) this.send(request)
    return await reply as Extract<FromChild, { type: T }>
  }

  async close (): Promise<void> {
    if (this.#exited !== undefined) return
    this.onFailure = () => {}
    this.send({ type: 'close' })
    const timer = setTimeout(() => { this.process.kill('SIGKILL') }, 10_000)
    await this.exit
    clearTimeout(timer)
  }
}

/**
 * Pacing: a window of `window` events in flight. Events 0..window−1 are triggered at once; each time an
 * event has reached every subscriber, the next one is triggered. The server is never idle (there is always
 * an event to send while clients read the previous ones) yet never floods socket buffers with more than
 * `window` events per client, so latency measures delivery rather than queueing in a backlog the bench
 * itself built up. Both servers get exactly this pacing; each trigger is one IPC message to the child.
 */
function triggerAll (child: Child, deliveries: Deliveries, window: number): Promise<void> {
  const total = deliveries.events
  return new Promise((resolve, reject) => {
    let next = 0
    let seen = -1
    const fire = (): void => {
      deliveries.requestedAt[next] = now()
      child.send({ type: 'trigger', i: next++ })
    }
    const done = (error?: Error): void => {
      clearInterval(watchdog)
      deliveries.onEventComplete = () => {}
      deliveries.onClientClosed = () => {}
      child.onFailure = () => {}
      if (error === undefined) resolve()
      else reject(error)
    }
    const watchdog = setInterval(() => {
      if (deliveries.total === seen) {
        done(new Error(`no delivery for ${STALL_MS / 1000} s: ${deliveries.completed}/${total} events complete, ` +
          `${deliveries.total}/${deliveries.subscribers * total} deliveries`))
      }
      seen = deliveries.total
    }, STALL_MS)
    deliveries.onEventComplete = () => {
      if (next < total) fire()
      else if (deliveries.completed === total) done()
    }
    deliveries.onClientClosed = (code) => { done(new Error(`a client was closed (${code}) during the trigger phase`)) }
    child.onFailure = done
    for (let k = 0; k < Math.min(window, total); k++) fire()
  })
}

/**
 * Growth per connection between two settled samples. RSS leaves out the young generation (empty after a full
 * GC; V8 sizes it by allocation rate, up to 32 MB, which would otherwise swamp 2,000 connections' worth).
 */
const perConnection = (before: MemorySample, after: MemorySample, n: number) => ({
  rssPerConnection: (after.usage.rss - after.youngBytes - before.usage.rss + before.youngBytes) / n,
  rawRssPerConnection: (after.usage.rss - before.usage.rss) / n,
  heapPerConnection: (after.usage.heapUsed - before.usage.heapUsed) / n,
  externalPerConnection: (after.usage.external - before.usage.external) / n
})

/** Runs the whole measurement against one server kind. */
async function measure (kind: ServerKind, options: Options): Promise<Result> {
  const { subscribers: n, events: m } = options
  const child = new Child(kind, options)
  let sockets: WebSocket[] = []
  try {
    const { port, path } = await child.next('ready')
    const url = `ws://127.0.0.1:${port}${path}`
    // Warm-up: a few connections opened and dropped, so that the baseline below already holds the code and
    // lazily created structures of the connection path, and the per-connection figure is the marginal cost.
    dropClients(await openClients(url, Math.min(WARMUP_CLIENTS, n), 30_000))
    await delay(500)
    const before = (await child.next('memory', { type: 'memory' })).memory

    const connectStart = now()
    sockets = await openClients(url, n, 30_000)
    const connectSeconds = (now() - connectStart) / 1000
    const after = (await child.next('memory', { type: 'memory' })).memory

    const deliveries = new Deliveries(n, m)
    deliveries.attach(sockets)
    const cpuBefore = (await child.next('cpu', { type: 'cpu' })).usage
    const clientCpuBefore = process.cpuUsage()
    const start = now()
    let error: string | undefined
    await triggerAll(child, deliveries, options.window).catch((e: Error) => { error = e.message })
    const seconds = (deliveries.lastAt - start) / 1000
    const cpu = process.cpuUsage(clientCpuBefore)
    const cpuAfter = (await child.next('cpu', { type: 'cpu' })).usage
    await delay(200) // late or duplicate frames would show up here
    const expected = n * m
    if (error === undefined && deliveries.total !== expected) error = `${deliveries.total} deliveries, expected ${expected}`
    if (error === undefined && deliveries.unexpected > 0) {
      error = `${deliveries.unexpected} unexpected frames, first: ${deliveries.firstUnexpected ?? ''}`
    }
    if (error === undefined && child.errors.length > 0) error = child.errors[0]
    const serverCpuSeconds = (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / 1e6
    return {
      server: kind,
      subscribers: n,
      events: m,
      payloadBytes: options.payload,
      window: options.window,
      expected,
      deliveries: deliveries.total,
      unexpected: deliveries.unexpected,
      error,
      connectSeconds,
      triggerSeconds: seconds,
      deliveriesPerSecond: deliveries.total / seconds,
      latencyMs: deliveries.percentiles('server'),
      requestLatencyMs: deliveries.percentiles('request'),
      serverCpuSeconds,
      cpuMicrosPerDelivery: serverCpuSeconds * 1e6 / deliveries.total,
      clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
      memory: { before, after, ...perConnection(before, after, n) }
    }
  } finally {
    dropClients(sockets)
    await child.close()
  }
}

async function main (): Promise<number> {
  const options = parseOptions()
  capSubscribers(options)
  const kinds: ServerKind[] = options.only === undefined ? ['ws', 'ours'] : [options.only]
  const timeout = options.timeout ?? defaultTimeout(options, kinds.length)
  const timer = setTimeout(() => {
    console.error(`bench: overall timeout of ${timeout} s hit; killing the servers`)
    for (const child of children) child.kill('SIGKILL')
    process.exit(2)
  }, timeout * 1000)
  timer.unref()

  console.log(`bench: ${options.subscribers} subscribers on one channel, ${options.events} events, ` +
    `${options.payload} B padding, window ${options.window}, timeout ${timeout} s, node ${process.version}`)
  const results: Result[] = []
  for (const kind of kinds) {
    // Other work on the machine competes with both processes for the 2 cores and skews every figure.
    console.log(`bench: measuring ${SERVER_LABEL[kind]}… (load average ${loadAverage()})`)
    results.push(await measure(kind, options))
  }
  console.log(`bench: done (load average ${loadAverage()})`)
  clearTimeout(timer)

  console.log('')
  console.log(table(results))
  const ours = results.find((r) => r.server === 'ours')
  const base = results.find((r) => r.server === 'ws')
  const ratios = ours !== undefined && base !== undefined ? ratiosOf(ours, base) : undefined
  if (ratios !== undefined) console.log('\n' + ratiosLine(ratios))
  for (const r of results) {
    console.log(`${SERVER_LABEL[r.server]}: connect ${r.connectSeconds.toFixed(2)} s, trigger phase ` +
      `${r.triggerSeconds.toFixed(2)} s, client CPU ${r.clientCpuSeconds.toFixed(2)} s, latency max ` +
      `${r.latencyMs.max.toFixed(2)} ms; from the trigger request: p50 ${r.requestLatencyMs.p50.toFixed(2)} ms, ` +
      `p99 ${r.requestLatencyMs.p99.toFixed(2)} ms, max ${r.requestLatencyMs.max.toFixed(2)} ms`)
  }
  const file = new URL('results/latest.json', import.meta.url)
  await writeJson(file, options, results, ratios)
  console.log(`results: ${file.pathname}`)
  const failed = results.filter((r) => r.error !== undefined)
  for (const r of failed) console.error(`ERROR ${SERVER_LABEL[r.server]}: ${r.error ?? ''}`)
  return failed.length === 0 ? 0 : 1
}

main().then((code) => { process.exitCode = code }, (error: unknown) => {
  console.error(error)
  for (const child of children) child.kill('SIGKILL')
  process.exitCode = 1
})
