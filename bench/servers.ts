/**
 * The servers under test, each in its own process with `bench/probe.ts` preloaded: this project's
 * standalone server (`dist/cli/main.js`, as `npm start` runs it, LOG_LEVEL=warn), the raw `ws` loop (`bench/server-raw.ts`) and soketi.
 * Same app credentials, loopback only, free ports. `cpu()` and `memory()` read the server process itself.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { writeFileSync, mkdirSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { request, type IncomingMessage } from 'node:http'
import { setTimeout as delay } from 'node:timers/promises'
import type { MemorySample, ProbeReply, ProbeRequest, Settle } from './ipc.js'
import { benchTable, DATABASE_URL } from './postgres.js'
import { soketiConfig, soketiEntry } from './soketi.js'

/**
 * `base` is this project from another checkout (BENCH_BASE=/path/to/checkout, e.g. an older commit
 * extracted with `git archive`, built with `npm run build`), for before/after comparisons of an
 * optimization in one run.
 */
export type Kind = 'ours' | 'pg' | 'ws' | 'soketi' | 'fastify' | 'base' | 'nometrics' | 'nodefaults' | 'console'
export const KINDS: readonly Kind[] = ['ours', 'ws', 'soketi']
/**
 * `nometrics`: this project with its Prometheus metrics off (BROADCASTT_METRICS=false), to price them;
 * `nodefaults`: metrics on without prom-client's Node process metrics (`metrics.defaultMetrics: false`);
 * `fastify`: the raw loop with its REST side on a bare Fastify route (the Fastify floor; see server-raw.ts);
 * `pg`: this project with its app in a PostgreSQL table (`appStore`) instead of its options (bench/postgres.ts);
 * `console`: this project with its debug console on and one tab open on the bench app all along (an SSE
 * reader in the driver that reads everything), to price the console (docs/console.md).
 */
export const ALL_KINDS: readonly Kind[] = [...KINDS, 'pg', 'fastify', 'base', 'nometrics', 'nodefaults', 'console']
export const LABEL: Record<Kind, string> = {
  ours: 'fastify-broadcastt',
  pg: 'ours, app in PostgreSQL',
  ws: 'raw ws loop',
  soketi: 'soketi 1.6.1',
  fastify: 'bare Fastify route',
  base: 'ours (BENCH_BASE)',
  nometrics: 'ours, metrics off',
  nodefaults: 'ours, no process metrics',
  console: 'ours, a console tab open'
}

const CONSOLE_TOKEN = 'bench-console-token-0123456789'

export const APP = { id: 'bench', key: 'bench-key', secret: 'bench-secret' }
const CACHE = new URL('.cache/', import.meta.url)
const PROBE = new URL('probe.ts', import.meta.url).href
/** This checkout, or BENCH_OURS=/path/to/checkout (a frozen copy, so that the tree can change during a long run). */
const OURS = process.env.BENCH_OURS ?? new URL('..', import.meta.url).pathname.replace(/\/$/, '')

/** Every server process alive, so that a timeout or a crash of the driver can kill them. */
export const alive = new Set<ChildProcess>()

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => { server.close(resolve) })
  return port
}

async function accepting (port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}) before listening: ${stderr()}`)
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => { resolve(false) })
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`server not listening on ${port} after 60 s: ${stderr()}`)
    await delay(100)
  }
}

function writeConfig (name: string, body: object): string {
  mkdirSync(CACHE, { recursive: true })
  const file = new URL(name, CACHE).pathname
  writeFileSync(file, JSON.stringify(body, null, 2))
  return file
}

/** Script, arguments and environment of each kind. */
async function command (kind: Kind, port: number, profileDir: string | undefined, ours: object | undefined):
Promise<{ script: string, args: string[], env: NodeJS.ProcessEnv, execArgv: string[] }> {
  // --no-flush-bytecode: V8 would otherwise drop the bytecode of functions unused for a few GCs, and the
  // forced GCs of the memory measurement would move megabytes of code between two samples.
  const execArgv = ['--import', 'tsx', '--import', PROBE, '--expose-gc', '--no-flush-bytecode']
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) }
  if (profileDir !== undefined) {
    mkdirSync(profileDir, { recursive: true })
    Object.assign(env, { BENCH_PROFILE_DIR: profileDir, BENCH_PROFILE_NAME: kind })
  }
  if (kind === 'ours' || kind === 'pg' || kind === 'base' || kind === 'nometrics' || kind === 'nodefaults' || kind === 'console') {
    // Like soketi's configuration: no per-address cap, frame budget or channel cap (every bench client comes
    // from 127.0.0.1 and sends as fast as it can), unless a scenario gives its own configuration. `pg` has
    // the same app in a PostgreSQL table instead.
    const app = { ...APP, limits: { presenceMembers: 1_000_000, presenceMemberBytes: 1024, clientEventsPerSecond: 0, framesPerSecond: 0, channelsPerConnection: 1000 } }
    const config = writeConfig(`${kind}-${port}.json`, ours ?? {
      maxConnectionsPerIp: 0,
      ...(kind === 'pg'
        ? { apps: [], appStore: { type: 'postgres', url: DATABASE_URL, table: await benchTable(app) } }
        : { apps: [app] }),
      ...(kind === 'nodefaults' ? { metrics: { defaultMetrics: false } } : {})
    })
    return {
      // The compiled server, as `npm start` runs it (the driver builds this checkout first).
      script: `${kind === 'base' ? process.env.BENCH_BASE ?? '.' : OURS}/dist/cli/main.js`,
      args: [],
      env: {
        ...env,
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        BROADCASTT_CONFIG: config,
        BROADCASTT_METRICS: kind === 'nometrics' ? 'false' : 'true',
        ...(kind === 'console' ? { BROADCASTT_CONSOLE_TOKEN: CONSOLE_TOKEN } : {})
      },
      execArgv
    }
  }
  if (kind === 'ws' || kind === 'fastify') {
    const rest = kind === 'fastify' ? { BENCH_REST: 'fastify' } : {}
    return { script: new URL('server-raw.ts', import.meta.url).pathname, args: [], env: { ...env, ...rest }, execArgv }
  }
  const config = writeConfig('soketi.json', soketiConfig(APP, { http: port, metrics: await freePort(), cluster: await freePort() }))
  return { script: soketiEntry(), args: ['start', `--config=${config}`], env, execArgv }
}

export class Server {
  #waiters = new Map<string, (reply: ProbeReply) => void>()
  #stderr = ''
  /** The console tab of the `console` kind, and the bytes it has read. */
  #tab: IncomingMessage | undefined
  tabBytes = 0

  private constructor (readonly kind: Kind, readonly port: number, readonly child: ChildProcess) {
    child.on('message', (reply: ProbeReply) => {
      const waiter = this.#waiters.get(reply.type)
      this.#waiters.delete(reply.type)
      waiter?.(reply)
    })
    child.stderr?.on('data', (chunk: Buffer) => { this.#stderr = (this.#stderr + chunk.toString()).slice(-4000) })
  }

  /** `ours`: this project's configuration file instead of the bench's (the standalone defaults apply to the rest). */
  static async start (kind: Kind, options: { profileDir?: string | undefined, ours?: object } = {}): Promise<Server> {
    const port = await freePort()
    const { script, args, env, execArgv } = await command(kind, port, options.profileDir, options.ours)
    const child = fork(script, args, { env, execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
    alive.add(child)
    child.once('exit', () => { alive.delete(child) })
    const server = new Server(kind, port, child)
    try {
      await accepting(port, child, () => server.#stderr)
    } catch (error) {
      // A server that never listened must not outlive the attempt (it would keep the driver alive).
      child.kill('SIGKILL')
      throw error
    }
    if (kind === 'console') await server.#openTab()
    return server
  }

  async #openTab (): Promise<void> {
    this.#tab = await new Promise<IncomingMessage>((resolve, reject) => {
      request(`${this.httpUrl}/console/api/stream?app=${APP.id}`, { headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } }, resolve)
        .on('error', reject).end()
    })
    if (this.#tab.statusCode !== 200) throw new Error(`console tab: ${this.#tab.statusCode ?? '?'}`)
    this.#tab.on('data', (chunk: Buffer) => { this.tabBytes += chunk.length })
    this.#tab.on('error', () => {})
  }

  get wsUrl (): string { return `ws://127.0.0.1:${this.port}/app/${APP.key}?protocol=7&client=bench&version=1.0` }
  get httpUrl (): string { return `http://127.0.0.1:${this.port}` }
  get stderr (): string { return this.#stderr }

  async #ask<T extends ProbeReply['type']> (request: ProbeRequest & { type: T }): Promise<Extract<ProbeReply, { type: T }>> {
    if (this.child.exitCode !== null) throw new Error(`${LABEL[this.kind]} exited (${this.child.exitCode}): ${this.#stderr}`)
    const reply = new Promise<ProbeReply>((resolve) => { this.#waiters.set(request.type, resolve) })
    this.child.send(request)
    return await reply as Extract<ProbeReply, { type: T }>
  }

  /** Queries its app store has made (`pg`; undefined for the others), from GET /metrics. */
  async storeQueries (): Promise<number | undefined> {
    if (this.kind !== 'pg') return undefined
    const text = await (await fetch(`${this.httpUrl}/metrics`)).text()
    const match = /^broadcastt_app_store_queries_total (\d+)$/m.exec(text)
    if (match === null) throw new Error('no broadcastt_app_store_queries_total in /metrics')
    return Number(match[1])
  }

  /** User + system CPU seconds the server process has used so far. */
  async cpu (): Promise<number> {
    const { usage } = await this.#ask({ type: 'probe-cpu' })
    return (usage.user + usage.system) / 1e6
  }

  async memory (settle: Settle): Promise<MemorySample> {
    return (await this.#ask({ type: 'probe-memory', settle })).memory
  }

  /** SIGTERM, then SIGKILL after 5 s (a profile is written on a clean exit only). */
  async close (): Promise<void> {
    this.#tab?.destroy()
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => { this.child.kill('SIGKILL') }, 5000)
    await exited
    clearTimeout(timer)
  }
}
