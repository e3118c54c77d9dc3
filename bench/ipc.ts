/**
 * The IPC contract between the bench driver (`bench/run.ts`, the parent) and a server child
 * (`bench/server-*.ts`), and the child-side harness both servers share, so that both are measured by
 * exactly the same code: the same event data, the same trigger handling, the same GC and CPU probes.
 */
import { setTimeout as delay } from 'node:timers/promises'
import v8 from 'node:v8'

/** Parent → child. */
export type ToChild =
  /** Report memory once it has settled after forced GCs (`settledMemory`). */
  | { type: 'memory' }
  /** Report `process.cpuUsage()`. */
  | { type: 'cpu' }
  /** Trigger event number `i` on the bench channel. */
  | { type: 'trigger', i: number }
  /** Close the server and exit. */
  | { type: 'close' }

/** Child → parent. */
export type FromChild =
  | { type: 'ready', port: number, path: string }
  | { type: 'memory', memory: MemorySample }
  | { type: 'cpu', usage: NodeJS.CpuUsage }
  | { type: 'error', message: string }

/** Driver → any bench server process, answered by `bench/probe.ts`. */
export type ProbeRequest = { type: 'probe-cpu' } | { type: 'probe-memory', settle: Settle }
/** `bench/probe.ts` → driver. */
export type ProbeReply = { type: 'probe-cpu', usage: NodeJS.CpuUsage } | { type: 'probe-memory', memory: MemorySample }

/** What a server child provides to the harness. */
export interface BenchServer {
  port: number
  /** Path and query string clients connect to. */
  path: string
  /** Publishes one event whose `data` string is given to every subscriber of the bench channel. */
  trigger (data: string): Promise<void> | void
  close (): Promise<void>
}

/** The channel and event name every client subscribes to and receives. */
export const CHANNEL = 'bench'
export const EVENT = 'tick'

/**
 * The event's `data`: `{"i":<event number>,"t":<ms since the epoch at trigger time>,"p":"<padding>"}`. `i`
 * and `t` come first so that the client finds them with a cheap byte scan (see `bench/clients.ts`).
 */
export function eventData (i: number, padding: string): string {
  return `{"i":${i},"t":${performance.timeOrigin + performance.now()},"p":"${padding}"}`
}

const messageOf = (error: unknown): string => error instanceof Error ? (error.stack ?? error.message) : String(error)

/** What the child reports when asked for its memory. */
export interface MemorySample {
  usage: NodeJS.MemoryUsage
  /** Resident bytes of V8's young generation: empty after a full GC, sized by allocation rate, not by data. */
  youngBytes: number
  /** Milliseconds the child waited for its memory to settle. */
  waitedMs: number
}

/**
 * Samples are taken at least `minMs` (V8's memory reducer starts 8 s after a full GC) until the last
 * `SETTLE_RUN` samples, 1 s apart, agree within `SETTLE_TOLERANCE`, or for `maxMs` at most.
 */
export interface Settle { minMs: number, maxMs: number }
export const FULL_SETTLE: Settle = { minMs: 9000, maxMs: 30_000 }
const SETTLE_RUN = 4
const SETTLE_TOLERANCE = 0.01

/**
 * A full, compacting collection, run as its own task (`execution: 'async'`): a synchronous `gc()` runs with
 * the caller's stack live and, on this Node, leaves several megabytes of start-up garbage alive.
 */
async function sample (gc: NodeJS.GCFunction): Promise<Omit<MemorySample, 'waitedMs'>> {
  await gc({ type: 'major', execution: 'async', flavor: 'last-resort' })
  const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')
  return { usage: process.memoryUsage(), youngBytes: young?.physical_space_size ?? 0 }
}

const rssOld = (s: Omit<MemorySample, 'waitedMs'>): number => s.usage.rss - s.youngBytes

/**
 * Memory once it has settled: full, compacting GCs once a second until V8's memory reducer has had its turn
 * and heap and resident size stop moving. Without this, one-off releases (the reducer shrinking the young
 * generation, pooled pages returned to the OS) land in whichever measurement they happen to precede.
 */
export async function settledMemory (gc: NodeJS.GCFunction, settle: Settle = FULL_SETTLE): Promise<MemorySample> {
  const started = Date.now()
  const samples: Array<Omit<MemorySample, 'waitedMs'>> = []
  for (;;) {
    samples.push(await sample(gc))
    const waitedMs = Date.now() - started
    const run = samples.slice(-SETTLE_RUN)
    const steady = run.length === SETTLE_RUN && [(s: typeof run[number]) => s.usage.heapUsed, rssOld].every((of) => {
      const values = run.map(of)
      return Math.max(...values) - Math.min(...values) <= SETTLE_TOLERANCE * Math.max(...values)
    })
    const last = samples[samples.length - 1]
    if (last !== undefined && ((steady && waitedMs >= settle.minMs) || waitedMs >= settle.maxMs)) {
      return { ...last, waitedMs }
    }
    await delay(1000)
  }
}

/**
 * Starts the server, reports its port, then serves the parent's requests until `close` or until the
 * parent goes away. Payload bytes come as the first argument.
 */
export async function runChild (start: () => Promise<BenchServer>): Promise<void> {
  const parentSend = process.send?.bind(process)
  const gc = globalThis.gc
  if (parentSend === undefined || gc === undefined) {
    throw new Error('bench servers are started by bench/run.ts (forked with an IPC channel and --expose-gc)')
  }
  const send = (message: FromChild): void => { if (process.connected) parentSend(message) }
  const padding = 'x'.repeat(Number(process.argv[2] ?? '0'))
  const server = await start()
  // The parent vanished (killed, timed out): nothing left to measure for.
  process.on('disconnect', () => { process.exit(1) })

  const fire = async (i: number): Promise<void> => {
    try {
      await server.trigger(eventData(i, padding))
    } catch (error) {
      send({ type: 'error', message: `trigger ${i} failed: ${messageOf(error)}` })
    }
  }
  const close = async (): Promise<void> => {
    // A server that does not close within 5 s is abandoned: the child exits regardless.
    setTimeout(() => { process.exit(0) }, 5000).unref()
    try {
      await server.close()
    } catch (error) {
      send({ type: 'error', message: `close failed: ${messageOf(error)}` })
    }
    process.exit(0)
  }
  process.on('message', (message: ToChild) => {
    switch (message.type) {
      case 'trigger': void fire(message.i); break
      case 'cpu': send({ type: 'cpu', usage: process.cpuUsage() }); break
      case 'memory': void settledMemory(gc).then((memory) => { send({ type: 'memory', memory }) }); break
      case 'close': void close(); break
    }
  })
  send({ type: 'ready', port: server.port, path: server.path })
}
