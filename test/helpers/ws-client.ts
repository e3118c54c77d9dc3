/**
 * A real `ws` client with a frame queue: `next()` waits for the next frame matching a predicate, so tests
 * read the conversation in order without sleeping.
 */
import WebSocket, { type ClientOptions } from 'ws'
import { isTracked, settleServers } from './settle.js'

export interface Frame {
  event: string
  channel?: string
  /** Always a string on the wire; `json` holds it parsed. */
  data: string
  user_id?: string
  json: unknown
}

interface Waiter { match: (f: Frame) => boolean, resolve: (f: Frame) => void }

export class TestClient {
  readonly frames: Frame[] = []
  readonly #waiters: Waiter[] = []
  readonly closed: Promise<{ code: number, reason: string }>
  socketId = ''

  constructor (readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as Frame
      frame.json = typeof frame.data === 'string' ? safeParse(frame.data) : undefined
      const i = this.#waiters.findIndex((w) => w.match(frame))
      if (i === -1) this.frames.push(frame)
      else this.#waiters.splice(i, 1)[0]?.resolve(frame)
    })
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => { resolve({ code, reason: reason.toString() }) })
    })
  }

  /** The next frame (already received or still to come) for which `match` holds, by event name or predicate. */
  next (match: string | ((f: Frame) => boolean) = () => true, timeoutMs = 5000): Promise<Frame> {
    const fn = typeof match === 'string' ? (f: Frame) => f.event === match : match
    const i = this.frames.findIndex(fn)
    if (i !== -1) return Promise.resolve(this.frames.splice(i, 1)[0] as Frame)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`no frame matching ${String(match)} within ${timeoutMs} ms`)) }, timeoutMs)
      this.#waiters.push({ match: fn, resolve: (f) => { clearTimeout(timer); resolve(f) } })
    })
  }

  send (event: string, data?: unknown, channel?: string): void {
    this.ws.send(JSON.stringify({ event, ...(channel === undefined ? {} : { channel }), ...(data === undefined ? {} : { data }) }))
  }

  /** Subscribes in the connection's dialect and returns the reply (success or error). */
  async subscribe (channel: string, prefix = 'pusher', extra: Record<string, unknown> = {}): Promise<Frame> {
    this.send(`${prefix}:subscribe`, { channel, ...extra })
    return this.next((f) => f.channel === channel && /subscription_(succeeded|error)$/.test(f.event))
  }

  /**
   * Returns the frames received so far, once nothing started before the call can still arrive, so a
   * negative assertion on the result holds with any adapter. A ping/pong round trip first (the server has
   * handled every frame this client sent, and started what they start), then the barrier of every server
   * of the test (test/helpers/settle.ts: their work done, its messages handed to the sockets of every
   * node), then a ping/pong round trip again, which is ordered after every frame already written to this
   * client's socket. Frames other clients sent are covered once the server has read them: wait for their
   * reply, or settle those clients first.
   */
  async settle (prefix = 'pusher'): Promise<Frame[]> {
    const port = Number(new URL(this.ws.url).port)
    if (!isTracked(port)) throw new Error(`settle(): the server on port ${port} is not registered (trackServer)`)
    await this.#roundTrip(prefix)
    await settleServers()
    await this.#roundTrip(prefix)
    return this.frames.splice(0)
  }

  async #roundTrip (prefix: string): Promise<void> {
    this.send(`${prefix}:ping`, {})
    await this.next(`${prefix}:pong`)
  }

  close (): Promise<{ code: number, reason: string }> {
    this.ws.close()
    return this.closed
  }
}

function safeParse (text: string): unknown {
  try { return JSON.parse(text) } catch { return undefined }
}

/** Connects and waits for the first frame (`connection_established` or an `error`). */
export async function connect (url: string, options: ClientOptions = {}): Promise<{ client: TestClient, first: Frame }> {
  const ws = new WebSocket(url, options)
  const client = new TestClient(ws)
  const first = await client.next()
  const json = first.json as { socket_id?: string } | undefined
  if (typeof json?.socket_id === 'string') client.socketId = json.socket_id
  return { client, first }
}

/** Connects and asserts the handshake succeeded; closes the client when the test ends. */
export async function open (t: { teardown (fn: () => unknown): void }, url: string, options: ClientOptions = {}): Promise<TestClient> {
  const { client, first } = await connect(url, options)
  if (!first.event.endsWith(':connection_established')) throw new Error(`handshake failed: ${JSON.stringify(first)}`)
  t.teardown(() => { if (client.ws.readyState === WebSocket.OPEN) client.ws.terminate() })
  return client
}
