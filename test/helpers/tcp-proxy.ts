/**
 * A TCP pass-through proxy a test can cut: `cut()` resets every connection through it and every new one
 * (the service looks down), `hang()` accepts new connections and passes nothing either way (a network that
 * drops packets), `restore()` passes traffic again. Closed when the test ends.
 */
import { once } from 'node:events'
import { connect, createServer, type Socket } from 'node:net'

interface Teardown { teardown (fn: () => unknown): void }

type Mode = 'pass' | 'cut' | 'hang'

export class TcpProxy {
  readonly #sockets = new Set<Socket>()
  #mode: Mode = 'pass'
  #port = 0

  /** A proxy to `host:port`. */
  static async start (t: Teardown, host: string, port: number): Promise<TcpProxy> {
    const proxy = new TcpProxy()
    proxy.#port = await localServer(t, proxy.#sockets, (client) => { proxy.#accept(client, host, port) })
    return proxy
  }

  get port (): number { return this.#port }

  /** `url` with its host and port replaced by the proxy's. */
  through (url: string): string {
    const parsed = new URL(url)
    parsed.hostname = '127.0.0.1'
    parsed.port = String(this.#port)
    return parsed.toString()
  }

  #track (socket: Socket): void {
    this.#sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => { this.#sockets.delete(socket) })
  }

  #accept (client: Socket, host: string, port: number): void {
    this.#track(client)
    if (this.#mode === 'cut') {
      client.resetAndDestroy()
      return
    }
    if (this.#mode === 'hang') return // held open, silent
    const upstream = connect(port, host)
    this.#track(upstream)
    const end = (): void => { client.destroy(); upstream.destroy() }
    client.on('close', end)
    upstream.on('close', end)
    client.on('data', (chunk: Buffer) => { if (this.#mode === 'pass') upstream.write(chunk) })
    upstream.on('data', (chunk: Buffer) => { if (this.#mode === 'pass') client.write(chunk) })
  }

  /** Resets every connection, and every new one, until `restore()`. */
  cut (): void {
    this.#mode = 'cut'
    for (const socket of this.#sockets) socket.resetAndDestroy()
  }

  /** Passes nothing from now on (open connections stay open, silent), and holds new ones silent too. */
  hang (): void {
    this.#mode = 'hang'
  }

  /** Passes traffic again (connections held by `hang()` stay silent: their bytes were dropped). */
  restore (): void {
    this.#mode = 'pass'
  }
}

/** A TCP server on 127.0.0.1 (port 0), closed with every socket in `sockets` when the test ends; its port. */
export async function localServer (t: Teardown, sockets: ReadonlySet<Socket>, accept: (socket: Socket) => void): Promise<number> {
  const server = createServer(accept)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => { server.close(resolve) })
  })
  return address.port
}
