/**
 * The lean per-frame handler that counts deliveries and measures latency on the driver's sockets (opened by
 * `bench/pusher.ts`). Millions of frames land in one process on a 2-core machine, so the handler does no JSON
 * parsing: it finds the event number and send timestamp with one `Buffer.indexOf` and a byte loop.
 */
import type { RawData, WebSocket } from 'ws'

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
