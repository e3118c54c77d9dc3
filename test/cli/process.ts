/** Runs the standalone server (`src/cli/main.ts` through the test loader) as a real child process. */
import { spawn, type ChildProcess } from 'node:child_process'
import { connect as netConnect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { LOADER_ARGS } from '../loader/args.js'

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

export interface Server {
  child: ChildProcess
  /** Everything written to stdout so far (the banner, then pino's JSON lines). */
  stdout (): string
  stderr (): string
  /** The main URL from the banner, `http://127.0.0.1:PORT`. */
  url: string
  exited: Promise<number | null>
  /** Resolves once stdout holds a line for which `match` holds. */
  line (match: (line: string) => boolean): Promise<string>
}

export interface Finished { code: number | null, stdout: string, stderr: string }

function launch (args: string[], env: Record<string, string>, main = MAIN): { child: ChildProcess, out: { stdout: string, stderr: string }, exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...LOADER_ARGS, main, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe']
  })
  const out = { stdout: '', stderr: '' }
  child.stdout?.on('data', (chunk: Buffer) => { out.stdout += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { out.stderr += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => { child.on('exit', (code) => { resolve(code) }) })
  return { child, out, exited }
}

/** Runs to completion (for --help, --version, bad configurations); `script` from the package root, default the server. */
export async function runToEnd (args: string[], env: Record<string, string> = {}, script?: string): Promise<Finished> {
  const { out, exited } = launch(args, env, script === undefined ? MAIN : fileURLToPath(new URL(`../../${script}`, import.meta.url)))
  const code = await exited
  return { code, ...out }
}

/** Starts a server and resolves once its banner is out; SIGKILLed when the test ends if still running. */
export async function startProcess (t: { teardown (fn: () => unknown): void }, args: string[], env: Record<string, string> = {}): Promise<Server> {
  const { child, out, exited } = launch(args, { PORT: '0', ...env })
  let code: number | null | undefined
  void exited.then((c) => { code = c })
  t.teardown(() => { if (code === undefined) child.kill('SIGKILL') })
  const line = (match: (line: string) => boolean): Promise<string> => new Promise((resolve, reject) => {
    const check = (): boolean => {
      const found = out.stdout.split('\n').find(match)
      if (found !== undefined) resolve(found)
      return found !== undefined
    }
    if (check()) return
    const onData = (): void => { if (check()) child.stdout?.off('data', onData) }
    child.stdout?.on('data', onData)
    void exited.then(() => { if (!check()) reject(new Error(`exited before the line; stderr: ${out.stderr}`)) })
  })
  const banner = await line((l) => l.startsWith('fastify-broadcastt listening on '))
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    url: banner.slice('fastify-broadcastt listening on '.length).trim(),
    exited,
    line
  }
}

/** A WebSocket that never answers the server's close frame: it holds the drain open until destroyed. */
export async function stubborn (server: Server, key = 'app-key'): Promise<{ socket: Socket, got4200: Promise<void> }> {
  const { hostname, port } = new URL(server.url)
  const socket = netConnect(Number(port), hostname)
  socket.on('error', () => {})
  socket.write(`GET /app/${key}?protocol=7 HTTP/1.1\r\nHost: ${hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
  let seen = ''
  let established: () => void = () => {}
  let closing: () => void = () => {}
  const ready = new Promise<void>((resolve) => { established = resolve })
  const got4200 = new Promise<void>((resolve) => { closing = resolve })
  socket.on('data', (chunk: Buffer) => {
    seen += chunk.toString('latin1')
    if (seen.includes('connection_established')) established()
    if (seen.includes('4200')) closing()
  })
  await ready
  return { socket, got4200 }
}
