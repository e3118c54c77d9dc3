/** The figures every scenario reports, their medians over runs, and the side-by-side table with ratios. */
import type { Figures } from './scenarios/common.js'
import { LABEL, type Kind } from './servers.js'

export interface Metric {
  label: string
  unit: string
  /** Which way is better: a ratio above 1 is worse when lower is better. */
  better: 'lower' | 'higher'
  digits: number
}

export const METRICS: Record<string, Metric> = {
  fanoutCpuPerDelivery: { label: 'fan-out: server CPU per delivery', unit: 'µs', better: 'lower', digits: 2 },
  fanoutDeliveriesPerSecond: { label: 'fan-out: deliveries/s', unit: '/s', better: 'higher', digits: 0 },
  fanoutP50: { label: 'fan-out: latency p50 at saturation', unit: 'ms', better: 'lower', digits: 1 },
  fanoutP99: { label: 'fan-out: latency p99 at saturation', unit: 'ms', better: 'lower', digits: 1 },
  rssPerConnection: { label: 'idle: RSS per connection', unit: 'B', better: 'lower', digits: 0 },
  heapPerConnection: { label: 'idle: heap per connection', unit: 'B', better: 'lower', digits: 0 },
  connectCpuPerConnection: { label: 'connect + subscribe: server CPU per connection', unit: 'µs', better: 'lower', digits: 1 },
  storeQueriesPerConnection: { label: 'connect: app store queries per connection, app warm', unit: '', better: 'lower', digits: 3 },
  rssPerConnectionOwn: { label: 'idle, own channel each: RSS per connection', unit: 'B', better: 'lower', digits: 0 },
  heapPerConnectionOwn: { label: 'idle, own channel each: heap per connection', unit: 'B', better: 'lower', digits: 0 },
  connectCpuPerConnectionOwn: { label: 'connect + subscribe, own channel each: server CPU per connection', unit: 'µs', better: 'lower', digits: 1 },
  triggerRequestsPerSecond: { label: 'signed trigger: requests/s (16 connections)', unit: '/s', better: 'higher', digits: 0 },
  triggerCpuPerRequest: { label: 'signed trigger: server CPU per request', unit: 'µs', better: 'lower', digits: 1 },
  triggerP99: { label: 'signed trigger: latency p99', unit: 'ms', better: 'lower', digits: 1 },
  channelsCpuPerEvent: { label: 'many channels: server CPU per event', unit: 'µs', better: 'lower', digits: 1 },
  channelsP50: { label: 'many channels: latency p50', unit: 'ms', better: 'lower', digits: 2 },
  channelsP99: { label: 'many channels: latency p99', unit: 'ms', better: 'lower', digits: 2 },
  presenceOpsPerSecond: { label: 'presence churn: joins + leaves/s', unit: '/s', better: 'higher', digits: 0 },
  presenceCpuPerOp: { label: 'presence churn: server CPU per join or leave', unit: 'µs', better: 'lower', digits: 1 },
  presenceMemberEventsPerSecond: { label: 'presence churn: member events delivered/s', unit: '/s', better: 'higher', digits: 0 },
  soakEvents: { label: 'soak: events', unit: '', better: 'higher', digits: 0 },
  soakCpuPerEvent: { label: 'soak: server CPU per event (10 deliveries)', unit: 'µs', better: 'lower', digits: 1 },
  soakHeapGrowth: { label: 'soak: heap growth, first to last fifth of the events', unit: 'B', better: 'lower', digits: 0 },
  soakRssGrowth: { label: 'soak: RSS growth, first to last fifth of the events', unit: 'B', better: 'lower', digits: 0 },
  churnHeapGrowth: { label: 'connection churn: heap growth, first to last round', unit: 'B', better: 'lower', digits: 0 },
  churnRssGrowth: { label: 'connection churn: RSS growth, first to last round', unit: 'B', better: 'lower', digits: 0 },
  abuseQuietP99: { label: 'abuse: well-behaved latency p99, no hostile connections', unit: 'ms', better: 'lower', digits: 1 },
  abuseQuietLost: { label: 'abuse: lost deliveries, no hostile connections', unit: '', better: 'lower', digits: 0 },
  abuseP99: { label: 'abuse: well-behaved latency p99, 20 hostile connections', unit: 'ms', better: 'lower', digits: 1 },
  abuseLost: { label: 'abuse: lost deliveries, 20 hostile connections', unit: '', better: 'lower', digits: 0 },
  abuseQuietServerCpu: { label: 'abuse: server CPU (cores busy), no hostile connections', unit: '', better: 'lower', digits: 2 },
  abuseServerCpu: { label: 'abuse: server CPU (cores busy), 20 hostile connections', unit: '', better: 'lower', digits: 2 },
  abuseHeapGrowth: { label: 'abuse: server heap growth over the hostile run', unit: 'B', better: 'lower', digits: 0 },
  abuseWebhooksDelivered: { label: 'abuse: webhook events delivered during the hostile run', unit: '', better: 'higher', digits: 0 },
  abuseWebhookOverflow: { label: 'abuse: webhook events dropped (queue full)', unit: '', better: 'lower', digits: 0 },
  abuseHostileCloses: { label: 'abuse: hostile connections closed by the server', unit: '', better: 'higher', digits: 0 },
  abuseFrameRefusals: { label: 'abuse: hostile frames dropped over the frame budget', unit: '', better: 'higher', digits: 0 }
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Every run's figures, by server. */
export type Runs = Partial<Record<Kind, Figures[]>>

export function medians (runs: Runs): Partial<Record<Kind, Figures>> {
  const out: Partial<Record<Kind, Figures>> = {}
  for (const [kind, list] of Object.entries(runs) as Array<[Kind, Figures[]]>) {
    const names = new Set(list.flatMap((figures) => Object.keys(figures)))
    out[kind] = Object.fromEntries([...names].map((name) => [name, median(list.map((f) => f[name]).filter((v): v is number => v !== undefined))]))
  }
  return out
}

export const format = (value: number | undefined, digits: number): string =>
  value === undefined || !Number.isFinite(value) ? '-' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

export const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || !Number.isFinite(a / b) || b === 0 ? '-' : `${(a / b).toFixed(2)}×`

function layout (rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]?.length ?? 0)))
  const line = (row: readonly string[]): string => row.map((cell, c) => c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)).join('  ')
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n')
}

/**
 * Medians side by side (soketi, raw loop, ours) and ours' ratios to soketi and to the raw loop; with the `pg`
 * server, its ratio to ours (the same app from PostgreSQL instead of the options).
 */
export function sideBySide (figures: Partial<Record<Kind, Figures>>, runs: Runs): string {
  const kinds = (['soketi', 'ws', 'fastify', 'base', 'ours', 'pg'] as const).filter((kind) => figures[kind] !== undefined)
  const names = Object.keys(METRICS).filter((name) => kinds.some((kind) => figures[kind]?.[name] !== undefined))
  const count = (kind: Kind): number => runs[kind]?.length ?? 0
  const head = ['figure (median)', ...kinds.map((kind) => `${LABEL[kind]} (n=${count(kind)})`), 'ours / soketi', 'ours / raw ws',
    ...figures.fastify === undefined ? [] : ['ours / Fastify'], ...figures.base === undefined ? [] : ['ours / base'],
    ...figures.pg === undefined ? [] : ['PostgreSQL / static']]
  const rows = names.map((name) => {
    const metric = METRICS[name]!
    return [
      metric.unit === '' ? metric.label : `${metric.label} (${metric.unit})`,
      ...kinds.map((kind) => format(figures[kind]?.[name], metric.digits)),
      ratio(figures.ours?.[name], figures.soketi?.[name]),
      ratio(figures.ours?.[name], figures.ws?.[name]),
      ...figures.fastify === undefined ? [] : [ratio(figures.ours?.[name], figures.fastify[name])],
      ...figures.base === undefined ? [] : [ratio(figures.ours?.[name], figures.base[name])],
      ...figures.pg === undefined ? [] : [ratio(figures.pg[name], figures.ours?.[name])]
    ]
  })
  return layout([head, ...rows])
}

/** One line per run, for the log. */
export function runLine (kind: Kind, figures: Figures): string {
  return `${LABEL[kind]}: ` + Object.entries(figures).map(([name, value]) => {
    const metric = METRICS[name]
    return metric === undefined ? `${name} ${value}` : `${name} ${format(value, metric.digits)} ${metric.unit}`
  }).join(', ')
}
