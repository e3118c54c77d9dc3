/**
 * The client side: N `ws` sockets in the driver process, and the lean per-frame handler that counts
 * deliveries and measures latency. 2,000 sockets × 2,000 events is 4 M frames in one process on a 2-core
 * machine, so the handler does no JSON parsing: it finds the event number and send timestamp with one
 * `Buffer.indexOf` and a byte loop.
 */
import { WebSocket, type RawData } from 'ws'
import { CHANNEL } from './ipc.js'

/** Sockets being opened at once: enough to be quick, well under the listen backlog (511). */
const OPEN_CONCURRENCY = 64

/**
 * Opens one client and waits for its first frame (connection_established) and the answer to its subscribe
 * (subscription_succeeded).
 */
function openOne (url: string, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false })
    let frames = 0
    const fail = (why: string): void => {
      clearTimeout(timer)
      socket.terminate()
      reject(new Error(why))
    }
    const timer = setTimeout(() => { fail(`no subscription within ${timeoutMs} ms`) }, timeoutMs)
    socket.on('error', (error) => { fail(`client error: ${error.message}`) })
    socket.on('close', (code) => { fail(`closed with ${code} while subscribing`) })
    socket.on('message', (data: RawData) => {
      const text = String(data)
      if (++frames === 1) {
        if (!text.includes(':connection_established')) { fail(`unexpected first frame ${text.slice(0, 200)}`); return }
        socket.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: CHANNEL } }))
        return
      }
      if (!text.includes('subscription_succeeded')) { fail(`unexpected frame ${text.slice(0, 200)}`); return }
      clearTimeout(timer)
      socket.removeAllListeners()
      resolve(socket)
    })
  })
}

/** Opens and subscribes `count` clients, `OPEN_CONCURRENCY` at a time; rejects on the first failure. */
export async function openClients (url: string, count: number, timeoutMs: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++
      sockets.push(await openOne(url, timeoutMs))
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, count) }, worker))
  } catch (error) {
    for (const socket of sockets) socket.terminate()
    throw error
  }
  return sockets
}

/** Closes every client without a closing handshake. */
export function dropClients (sockets: readonly WebSocket[]): void {
  for (const socket of sockets) {
    socket.removeAllListeners()
    socket.on('error', () => {})
    socket.terminate()
  }
}

/** `{\"i\":` — the start of the event data inside the frame (the data is a JSON string, hence the escapes). */
const MARK = Buffer.from('{\\"i\\":')
/** `,\"t\":` — what separates the event number from the timestamp. */
const T_MARK_LENGTH = ',\\"t\\":'.length
const COMMA = 0x2c
const DOT = 0x2e
const ZERO = 0x30
const NINE = 0x39
const ORIGIN = performance.timeOrigin

export interface Percentiles { p50: number, p99: number, max: number }

/**
 * Counts deliveries per event and overall, and records latencies. The latency arrays keep one sample in
 * `stride` so that memory stays bounded for large runs (stride 1 up to 8 M deliveries).
 */
export class Deliveries {
  readonly perEvent: Uint32Array
  /** When the driver asked the server to trigger each event (ms since the epoch). */
  readonly requestedAt: Float64Array
  /** From the server's timestamp, taken when it triggers the event, to receipt (ms). */
  readonly latencies: Float32Array
  /** From the driver's request to trigger the event, to receipt (ms). */
  readonly requestLatencies: Float32Array
  readonly stride: number
  samples = 0
  total = 0
  /** Frames that are not bench events (errors, pings, anything unexpected). */
  unexpected = 0
  firstUnexpected: string | undefined
  lastAt = 0
  completed = 0
  /** Called once per event, when all subscribers have it. */
  onEventComplete: (i: number) => void = () => {}
  /** Called when a client closes during the run. */
  onClientClosed: (code: number) => void = () => {}

  constructor (readonly subscribers: number, readonly events: number) {
    this.perEvent = new Uint32Array(events)
    this.requestedAt = new Float64Array(events)
    const expected = subscribers * events
    this.stride = Math.max(1, Math.ceil(expected / 8_000_000))
    this.latencies = new Float32Array(Math.ceil(expected / this.stride))
    this.requestLatencies = new Float32Array(this.latencies.length)
  }

  /** Attaches the handler to every socket: one shared function, no per-socket closure. */
  attach (sockets: readonly WebSocket[]): void {
    const onClose = (code: number): void => { this.onClientClosed(code) }
    for (const socket of sockets) {
      socket.on('message', this.handle)
      socket.on('close', onClose)
    }
  }

  readonly handle = (data: RawData): void => {
    const now = ORIGIN + performance.now()
    const buf = data as Buffer
    let at = buf.indexOf(MARK)
    if (at < 0) { this.#unexpected(buf); return }
    at += MARK.length
    let i = 0
    let byte = buf[at]
    while (byte !== undefined && byte >= ZERO && byte <= NINE) { i = i * 10 + byte - ZERO; byte = buf[++at] }
    if (byte !== COMMA || i >= this.events) { this.#unexpected(buf); return }
    at += T_MARK_LENGTH
    let t = 0
    let scale = 0
    byte = buf[at]
    while (byte !== undefined && ((byte >= ZERO && byte <= NINE) || byte === DOT)) {
      if (byte === DOT) scale = 1
      else {
        t = t * 10 + byte - ZERO
        if (scale !== 0) scale *= 10
      }
      byte = buf[++at]
    }
    if (scale !== 0) t /= scale
    this.lastAt = now
    if (this.total++ % this.stride === 0 && this.samples < this.latencies.length) {
      this.requestLatencies[this.samples] = now - this.requestedAt[i]!
      this.latencies[this.samples++] = now - t
    }
    if (++this.perEvent[i]! === this.subscribers) {
      this.completed++
      this.onEventComplete(i)
    }
  }

  #unexpected (buf: Buffer): void {
    this.unexpected++
    this.firstUnexpected ??= buf.toString('utf8', 0, 200)
  }

  /** Latency percentiles in ms: from the server's timestamp, or from the driver's request. */
  percentiles (from: 'server' | 'request'): Percentiles {
    const sorted = (from === 'server' ? this.latencies : this.requestLatencies).subarray(0, this.samples).sort()
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
    return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? Number.NaN }
  }
}
