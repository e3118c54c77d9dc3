/** The bench results: one record per server, the printed table and ratios, and the JSON file. */
import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import type { Percentiles } from './clients.js'
import type { MemorySample } from './ipc.js'

export type ServerKind = 'ws' | 'ours'

export const SERVER_LABEL: Record<ServerKind, string> = {
  ours: 'fastify-broadcastt',
  ws: 'raw ws'
}

export interface Result {
  server: ServerKind
  subscribers: number
  events: number
  payloadBytes: number
  window: number
  expected: number
  deliveries: number
  /** Frames that were not bench events. */
  unexpected: number
  /** Why the run is not valid; undefined when it is. */
  error: string | undefined
  connectSeconds: number
  triggerSeconds: number
  deliveriesPerSecond: number
  /** From the server's timestamp (taken when it triggers the event) to receipt. */
  latencyMs: Percentiles
  /**
   * From the driver's trigger request to receipt: also counts the time the request waited in a busy
   * server before it was triggered, which the server's timestamp cannot see.
   */
  requestLatencyMs: Percentiles
  serverCpuSeconds: number
  cpuMicrosPerDelivery: number
  clientCpuSeconds: number
  memory: {
    before: MemorySample
    after: MemorySample
    /** RSS growth without the young generation, per connection. */
    rssPerConnection: number
    /** RSS growth as the OS reports it, per connection. */
    rawRssPerConnection: number
    heapPerConnection: number
    externalPerConnection: number
  }
}

export interface Ratios {
  cpuPerDelivery: number
  rssPerConnection: number
  heapPerConnection: number
  throughput: number
  p99: number
  requestP99: number
}

export function ratiosOf (ours: Result, base: Result): Ratios {
  return {
    cpuPerDelivery: ours.cpuMicrosPerDelivery / base.cpuMicrosPerDelivery,
    rssPerConnection: ours.memory.rssPerConnection / base.memory.rssPerConnection,
    heapPerConnection: ours.memory.heapPerConnection / base.memory.heapPerConnection,
    throughput: ours.deliveriesPerSecond / base.deliveriesPerSecond,
    p99: ours.latencyMs.p99 / base.latencyMs.p99,
    requestP99: ours.requestLatencyMs.p99 / base.requestLatencyMs.p99
  }
}

const fixed = (n: number, digits: number): string => Number.isFinite(n) ? n.toFixed(digits) : '-'
const thousands = (n: number): string => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-'

const COLUMNS: ReadonlyArray<readonly [string, (r: Result) => string]> = [
  ['server', (r) => SERVER_LABEL[r.server]],
  ['subscribers', (r) => thousands(r.subscribers)],
  ['events', (r) => thousands(r.events)],
  ['deliveries', (r) => thousands(r.deliveries)],
  ['deliveries/s', (r) => thousands(r.deliveriesPerSecond)],
  ['p50 ms', (r) => fixed(r.latencyMs.p50, 2)],
  ['p99 ms', (r) => fixed(r.latencyMs.p99, 2)],
  ['server CPU s', (r) => fixed(r.serverCpuSeconds, 2)],
  ['CPU µs/delivery', (r) => fixed(r.cpuMicrosPerDelivery, 2)],
  ['RSS B/idle conn', (r) => thousands(r.memory.rssPerConnection)],
  ['heap B/idle conn', (r) => thousands(r.memory.heapPerConnection)]
]

export function table (results: readonly Result[]): string {
  const rows = [COLUMNS.map(([title]) => title), ...results.map((r) => COLUMNS.map(([, cell]) => cell(r)))]
  const widths = COLUMNS.map((_, c) => Math.max(...rows.map((row) => row[c]?.length ?? 0)))
  const line = (row: readonly string[]): string =>
    row.map((cell, c) => c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)).join('  ')
  const [head, ...body] = rows
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')
}

export function ratiosLine (ratios: Ratios): string {
  const x = (n: number): string => `${fixed(n, 2)}×`
  return `${SERVER_LABEL.ours} / ${SERVER_LABEL.ws}: CPU per delivery ${x(ratios.cpuPerDelivery)}, ` +
    `memory per connection ${x(ratios.rssPerConnection)} (RSS) ${x(ratios.heapPerConnection)} (heap), ` +
    `throughput ${x(ratios.throughput)}, p99 latency ${x(ratios.p99)} (${x(ratios.requestP99)} from the trigger request)`
}

function revision (): string | null {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).trim()
  } catch {
    return null
  }
}

export async function writeJson (file: URL, options: object, results: readonly Result[], ratios: Ratios | undefined):
Promise<void> {
  const body = {
    date: new Date().toISOString(),
    /** The code measured: the working tree, so `-dirty` means uncommitted changes were part of it. */
    revision: revision(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    loadAverageAtEnd: os.loadavg(),
    options,
    results,
    ratios: ratios ?? null
  }
  await mkdir(new URL('.', file), { recursive: true })
  await writeFile(file, JSON.stringify(body, null, 2) + '\n')
}
