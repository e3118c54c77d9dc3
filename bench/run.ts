/**
 * `npm run bench [-- SCENARIO…] [--quick] [--runs N] [--servers ours,ws,soketi] [--cpu-prof] [--update-baseline]`
 *
 * This project's standalone server, a raw `ws` broadcast loop and soketi 1.6.1 (installed on first use into
 * the git-ignored bench/.cache), each in its own process, measured by the same driver and the same probe.
 * Scenarios: fanout, idle, idle-own, trigger, channels, presence (all by default; `idle` names both idle shapes:
 * one shared channel, and a channel of its own per connection), and soak and abuse (only when named).
 * idle also runs this project with its app in PostgreSQL (`pg`, DATABASE_URL) unless --servers is given.
 * Within a run the servers alternate (ours, raw loop, soketi) on a fresh process each; every figure is the
 * median of the runs (3 by default, 1 with --quick, which also shrinks the sizes). CPU figures are the
 * server process's own CPU time (`process.cpuUsage()`, every thread), not wall time: other work on this
 * shared machine slows everything, but moves CPU per operation and same-run ratios much less.
 * Prints a table with ours' ratios to soketi and to the raw loop, the change against bench/baseline.json
 * (a drop of more than 10 % is flagged), and writes bench/results/latest.json.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { parseArgs } from 'node:util'
import { compare, update } from './baseline.js'
import { FULL_SETTLE } from './ipc.js'
import { abuse } from './scenarios/abuse.js'
import { channels } from './scenarios/channels.js'
import type { BenchOptions, Figures, Scenario } from './scenarios/common.js'
import { fanout } from './scenarios/fanout.js'
import { idle, idleOwn } from './scenarios/idle.js'
import { presence } from './scenarios/presence.js'
import { soak } from './scenarios/soak.js'
import { trigger } from './scenarios/trigger.js'
import { dropBenchTable } from './postgres.js'
import { alive, ALL_KINDS, KINDS, LABEL, Server, type Kind } from './servers.js'
import { medians, runLine, sideBySide, type Runs } from './table.js'

const SCENARIOS: Record<string, Scenario> = { fanout, idle, 'idle-own': idleOwn, trigger, channels, presence, soak, abuse }
const DEFAULT_SCENARIOS = ['fanout', 'idle', 'idle-own', 'trigger', 'channels', 'presence']
/** A name that runs several scenarios: `idle` measures both shapes of idle connections. */
const GROUPS: Record<string, string[]> = { idle: ['idle', 'idle-own'] }
/** Scenarios measured against this project only, once unless --runs says otherwise. */
const OURS_ONLY = new Set(['soak', 'abuse'])
/** Servers a scenario adds to the default ones (not when --servers names them): idle also runs the app from PostgreSQL. */
const EXTRA_KINDS: Record<string, Kind[]> = { idle: ['pg'] }

function parse (): { scenarios: string[], kinds: Kind[], kindsGiven: boolean, runs: number, runsGiven: boolean, options: BenchOptions, cpuProf: boolean, updateBaseline: boolean, timeout: number } {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      runs: { type: 'string' },
      servers: { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      'update-baseline': { type: 'boolean' },
      timeout: { type: 'string' },
      subscribers: { type: 'string' },
      events: { type: 'string' },
      connections: { type: 'string' }
    }
  })
  const quick = values.quick ?? false
  const unknown = positionals.filter((name) => SCENARIOS[name] === undefined)
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`)
  const kinds = (values.servers ?? KINDS.join(',')).split(',') as Kind[]
  const badKind = kinds.find((kind) => !ALL_KINDS.includes(kind))
  if (badKind !== undefined) throw new Error(`unknown server ${badKind}; known: ${ALL_KINDS.join(', ')}`)
  if (kinds.includes('base') && process.env.BENCH_BASE === undefined) throw new Error('--servers base needs BENCH_BASE=/path/to/checkout')
  const int = (raw: string | undefined, fallback: number): number => raw === undefined ? fallback : Number.parseInt(raw, 10)
  const connections = int(values.connections, quick ? 2000 : 10_000)
  return {
    scenarios: positionals.length > 0 ? [...new Set(positionals.flatMap((name) => GROUPS[name] ?? [name]))] : DEFAULT_SCENARIOS,
    kinds,
    kindsGiven: values.servers !== undefined,
    runs: int(values.runs, quick ? 1 : 3),
    runsGiven: values.runs !== undefined,
    cpuProf: values['cpu-prof'] ?? false,
    updateBaseline: values['update-baseline'] ?? false,
    timeout: int(values.timeout, 3600),
    options: {
      quick,
      settle: quick ? { minMs: 2000, maxMs: 8000 } : FULL_SETTLE,
      subscribers: int(values.subscribers, quick ? 500 : 2000),
      events: int(values.events, quick ? 200 : 500),
      payload: 100,
      window: 4,
      idleConnections: connections,
      triggerSeconds: quick ? 3 : 10,
      channelConnections: connections,
      channelRate: quick ? 500 : 1000,
      channelSeconds: quick ? 4 : 10,
      presenceWatchers: quick ? 50 : 100,
      presenceChurners: 20,
      presenceSeconds: quick ? 3 : 8
    }
  }
}

/** Open files a run needs: a socket per connection in this process (the server has its own limit). */
function neededFiles (options: BenchOptions): number {
  return Math.max(options.subscribers, options.idleConnections, options.channelConnections) + 500
}

const softLimit = (): number => Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim())
const hardLimit = (): number => Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim())

/**
 * 10,000 connections need more than the usual soft limit of 1,024 open files, here and in the server.
 * When the hard limit allows, run again under a raised soft limit; otherwise stop with the command to run.
 */
function ensureFileLimit (need: number): void {
  const soft = softLimit()
  if (!Number.isFinite(soft) || soft >= need || process.env.BENCH_RAISED_LIMIT === '1') {
    if (Number.isFinite(soft) && soft < need) throw new Error(`open-file limit ${soft} < ${need} needed; run with fewer --connections`)
    return
  }
  const hard = hardLimit()
  if (Number.isFinite(hard) && hard < need) throw new Error(`open-file hard limit ${hard} < ${need} needed: raise it (ulimit -Hn) or pass a smaller --connections`)
  console.log(`bench: raising the open-file limit from ${soft} to ${need} (ulimit -n)`)
  const result = spawnSync('sh', ['-c', `ulimit -n ${need} && exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, BENCH_RAISED_LIMIT: '1' }
  })
  process.exit(result.status ?? 1)
}

const loadAverage = (): string => os.loadavg().map((n) => n.toFixed(2)).join(' ')
const revision = (): string | null => {
  try { return execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).trim() } catch { return null }
}

async function once (kind: Kind, scenario: Scenario, options: BenchOptions, profileDir: string | undefined): Promise<Figures> {
  const server = await Server.start(kind, { profileDir })
  try {
    return await scenario(server, options)
  } catch (error) {
    throw new Error(`${LABEL[kind]}: ${(error as Error).message}${server.stderr === '' ? '' : `\nserver stderr: ${server.stderr}`}`)
  } finally {
    await server.close()
  }
}

async function main (): Promise<number> {
  const { scenarios, kinds: defaultKinds, kindsGiven, runs: defaultRuns, runsGiven, options, cpuProf, updateBaseline, timeout } = parse()
  if (process.env.BENCH_OURS === undefined) {
    // Our server runs from dist/, as `npm start` runs it: build it from the current source first.
    execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' })
  }
  ensureFileLimit(neededFiles(options))
  const timer = setTimeout(() => {
    console.error(`bench: overall timeout of ${timeout} s hit; killing the servers`)
    for (const child of alive) child.kill('SIGKILL')
    process.exit(2)
  }, timeout * 1000)
  timer.unref()
  const profileDir = cpuProf ? new URL('results/profiles', import.meta.url).pathname : undefined
  options.profileDir = profileDir
  console.log(`bench: ${scenarios.join(', ')}; servers ${defaultKinds.map((k) => LABEL[k]).join(', ')}; ${defaultRuns} run(s)` +
    `${options.quick ? ', quick' : ''}; node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'})`)
  const all: Runs = {}
  const failures: string[] = []
  const perScenario: Record<string, Runs> = {}
  for (const name of scenarios) {
    const scenario = SCENARIOS[name]!
    const runsOf: Runs = {}
    const runs = OURS_ONLY.has(name) && !runsGiven ? 1 : defaultRuns
    // Extra servers run right after ours, so each pair is measured back to back.
    const kinds = kindsGiven ? defaultKinds : defaultKinds.flatMap((kind) => kind === 'ours' ? [kind, ...EXTRA_KINDS[name] ?? []] : [kind])
    for (let run = 1; run <= runs; run++) {
      for (const kind of kinds) {
        if (OURS_ONLY.has(name) && kind !== 'ours') continue
        console.log(`${name} ${run}/${runs} ${LABEL[kind]}… (load average ${loadAverage()})`)
        let figures: Figures
        try {
          figures = await once(kind, scenario, options, profileDir)
        } catch (error) {
          // One failed run (a timeout on a loaded machine, a crash) is reported and left out of the medians.
          failures.push(`${name} ${run}/${runs} ${(error as Error).message.split('\n')[0] ?? ''}`)
          console.log(`  FAILED: ${failures[failures.length - 1] ?? ''}`)
          continue
        }
        console.log('  ' + runLine(kind, figures))
        ;(runsOf[kind] ??= []).push(figures)
      }
    }
    perScenario[name] = runsOf
    for (const [kind, list] of Object.entries(runsOf) as Array<[Kind, Figures[]]>) {
      const target = (all[kind] ??= Array.from({ length: list.length }, () => ({})))
      list.forEach((figures, i) => { Object.assign(target[i] ??= {}, figures) })
    }
    console.log('\n' + sideBySide(medians(runsOf), runsOf) + '\n')
  }
  clearTimeout(timer)
  await dropBenchTable().catch((error: unknown) => { console.log(`bench: dropping the PostgreSQL table failed: ${String(error)}`) })
  const figures = medians(all)
  console.log(`bench: done (load average ${loadAverage()})\n`)
  console.log(sideBySide(figures, all))
  const { lines, regressions } = compare(figures)
  console.log('\n' + lines.join('\n'))
  if (updateBaseline) {
    update(figures, revision(), `npm run bench -- ${process.argv.slice(2).join(' ')}`)
    console.log('baseline: bench/baseline.json updated')
  }
  const file = new URL('results/latest.json', import.meta.url)
  await mkdir(new URL('.', file), { recursive: true })
  await writeFile(file, JSON.stringify({
    date: new Date().toISOString(),
    revision: revision(),
    node: process.version,
    cpus: os.cpus().length,
    loadAverageAtEnd: os.loadavg(),
    options,
    medians: figures,
    runs: perScenario
  }, null, 2) + '\n')
  for (const failure of failures) console.log(`FAILED run, left out: ${failure}`)
  console.log(`results: ${file.pathname}${regressions > 0 ? `\n${regressions} figure(s) more than 10 % worse than the baseline` : ''}`)
  return failures.length === 0 ? 0 : 1
}

main().then((code) => { process.exitCode = code }, (error: unknown) => {
  console.error(error)
  for (const child of alive) child.kill('SIGKILL')
  process.exitCode = 1
})
