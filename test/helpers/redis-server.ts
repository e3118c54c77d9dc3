/** A redis-server of a test's own, on a free port, without persistence: it can be stopped and restarted. */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

/** A TCP port nothing listens on right now. */
export async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** Spawns `redis-server` with `args`; resolves with the process once it accepts connections. */
export async function spawnRedisServer (args: string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) resolve()
    })
    child.once('exit', (code) => { reject(new Error(`redis-server exited (${String(code)}): ${output.slice(-500)}`)) })
  })
  child.stdout?.resume()
  return child
}

export class OwnRedis {
  #process: ChildProcess | undefined

  private constructor (readonly port: number) {}

  static async start (t: { teardown (fn: () => unknown): void }): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort())
    t.teardown(() => redis.stop())
    await redis.start()
    return redis
  }

  get url (): string { return `redis://127.0.0.1:${this.port}` }

  /** Starts the server and resolves once it accepts connections. */
  async start (): Promise<void> {
    this.#process = await spawnRedisServer(['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'])
  }

  /** Stops the server (SIGKILL: no goodbye to clients) and resolves once it has exited. */
  async stop (): Promise<void> {
    const child = this.#process
    this.#process = undefined
    if (child === undefined || child.exitCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }
}
