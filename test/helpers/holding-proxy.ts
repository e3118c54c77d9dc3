/**
 * A TCP proxy in front of Redis whose replies a test can hold back: while `hold` is on, what Redis sends to
 * the proxy's clients (command replies, pub/sub messages) waits in the proxy, in order, until `release`;
 * what the clients send still reaches Redis. A node connected through it stands for one whose Redis
 * traffic is slow, deterministically.
 */
import { connect, type Socket } from 'node:net'
import { localServer } from './tcp-proxy.js'

interface Teardown { teardown (fn: () => unknown): void }

export class HoldingProxy {
  readonly #sockets = new Set<Socket>()
  #held: Array<{ to: Socket, chunk: Buffer }> | undefined
  #port = 0

  /** A proxy to the Redis at `target` (a `redis://host:port` URL), closed when the test ends. */
  static async start (t: Teardown, target: string): Promise<HoldingProxy> {
    const proxy = new HoldingProxy()
    const { hostname, port } = new URL(target)
    proxy.#port = await localServer(t, proxy.#sockets, (client) => { proxy.#pass(client, connect(Number(port || 6379), hostname)) })
    return proxy
  }

  #pass (client: Socket, upstream: Socket): void {
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => {
        this.#sockets.delete(socket)
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream)
    upstream.on('data', (chunk: Buffer) => {
      if (this.#held === undefined) client.write(chunk)
      else this.#held.push({ to: client, chunk })
    })
  }

  get url (): string { return `redis://127.0.0.1:${this.#port}` }

  /** From now on, what Redis sends waits in the proxy. */
  hold (): void { this.#held ??= [] }

  /** Passes on what was held, in order, and what comes next at once. */
  release (): void {
    const held = this.#held ?? []
    this.#held = undefined
    for (const { to, chunk } of held) to.write(chunk)
  }
}
