/**
 * `bench/baseline.json`: the fan-out, connection and trigger figures of a reference run, and their ratios
 * to soketi in that run. `npm run bench` compares with it: against the ratio to soketi when soketi ran in
 * this run too (the machine is shared, so a same-run ratio is the figure that means something), else
 * against the absolute figure. A change for the worse of more than 10 % is flagged.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import type { Figures } from './scenarios/common.js'
import type { Kind } from './servers.js'
import { format, METRICS } from './table.js'

export const BASELINE_FILE = new URL('baseline.json', import.meta.url)
export const TRACKED = [
  'fanoutCpuPerDelivery', 'fanoutP99', 'rssPerConnection', 'heapPerConnection', 'connectCpuPerConnection',
  'triggerRequestsPerSecond', 'triggerCpuPerRequest'
] as const
const TOLERANCE = 0.10

interface Baseline {
  date: string
  revision: string | null
  note: string
  ours: Figures
  oursToSoketi: Figures
}

function read (): Baseline | undefined {
  try {
    return JSON.parse(readFileSync(BASELINE_FILE, 'utf8')) as Baseline
  } catch {
    return undefined
  }
}

const toSoketi = (figures: Partial<Record<Kind, Figures>>): Figures => Object.fromEntries(TRACKED.flatMap((name) => {
  const ours = figures.ours?.[name]
  const soketi = figures.soketi?.[name]
  return ours === undefined || soketi === undefined ? [] : [[name, ours / soketi]]
}))

/** Lines comparing this run with the baseline; `regressions` counts the flagged ones. */
export function compare (figures: Partial<Record<Kind, Figures>>): { lines: string[], regressions: number } {
  const baseline = read()
  if (baseline === undefined) return { lines: ['baseline: none (bench/baseline.json); write one with --update-baseline'], regressions: 0 }
  const ratios = toSoketi(figures)
  const lines = [`against bench/baseline.json (${baseline.date.slice(0, 10)}, ${baseline.revision ?? '?'}):`]
  let regressions = 0
  for (const name of TRACKED) {
    const metric = METRICS[name]!
    const ours = figures.ours?.[name]
    if (ours === undefined) continue
    const sameRun = ratios[name] !== undefined && baseline.oursToSoketi[name] !== undefined
    const [now, then] = sameRun ? [ratios[name]!, baseline.oursToSoketi[name]!] : [ours, baseline.ours[name]]
    if (then === undefined) continue
    const change = now / then - 1
    const worse = metric.better === 'lower' ? change > TOLERANCE : change < -TOLERANCE
    if (worse) regressions++
    const shown = sameRun ? `${now.toFixed(2)}× soketi (was ${then.toFixed(2)}×)` : `${format(now, metric.digits)} ${metric.unit} (was ${format(then, metric.digits)})`
    lines.push(`  ${worse ? 'REGRESSION' : 'ok        '} ${metric.label}: ${shown}, ${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)} %`)
  }
  return { lines, regressions }
}

export function update (figures: Partial<Record<Kind, Figures>>, revision: string | null, note: string): void {
  const previous = read()
  const ours = { ...previous?.ours }
  const oursToSoketi = { ...previous?.oursToSoketi }
  const ratios = toSoketi(figures)
  for (const name of TRACKED) {
    const value = figures.ours?.[name]
    if (value !== undefined) ours[name] = value
    if (ratios[name] !== undefined) oursToSoketi[name] = ratios[name]
  }
  const body: Baseline = { date: new Date().toISOString(), revision, note, ours, oursToSoketi }
  writeFileSync(BASELINE_FILE, JSON.stringify(body, null, 2) + '\n')
}
