/**
 * A real local webhook receiver on 127.0.0.1, port 0: records every request (headers, raw body, parsed
 * body) and answers as the test says (a status, or never). `events()` waits for webhook events without sleeping.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedEvent { name: string, channel: string, [field: string]: unknown }
export interface Received {
  method: string
  url: string
  headers: IncomingHttpHeaders
  rawBody: string
  body: { time_ms: number, events: ReceivedEvent[] }
}

/** What to do with request number `n` (0-based): a status code, 'hang' (never answer), or a custom answer. */
export type Answer = number | 'hang' | ((res: ServerResponse) => void)

interface Teardown { teardown (fn: () => unknown): void }

export class Receiver {
  readonly requests: Received[] = []
  answer: (n: number) => Answer = () => 200
  readonly #waiters = new Set<() => void>()
  readonly #server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => { chunks.push(chunk) })
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8')
      const n = this.requests.length
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawBody, body: JSON.parse(rawBody) })
      const answer = this.answer(n)
      if (typeof answer === 'function') answer(res)
      else if (answer !== 'hang') res.writeHead(answer).end()
      for (const wake of this.#waiters) wake()
    })
  })

  port = 0

  get url (): string { return `http://127.0.0.1:${this.port}/hook` }

  /** Every event received so far, in arrival order. */
  get events (): ReceivedEvent[] {
    return this.requests.flatMap((r) => r.body.events)
  }

  async listen (port = 0): Promise<this> {
    await new Promise<void>((resolve) => { this.#server.listen(port, '127.0.0.1', resolve) })
    this.port = (this.#server.address() as AddressInfo).port
    return this
  }

  /** Resolves once `done()` holds, re-checked after every request. */
  async until (done: () => boolean): Promise<void> {
    while (!done()) await new Promise<void>((resolve) => { this.#waiters.add(resolve) }).finally(() => { this.#waiters.clear() })
  }

  /** Resolves with the received events once there are at least `n`. */
  async eventCount (n: number): Promise<ReceivedEvent[]> {
    await this.until(() => this.events.length >= n)
    return this.events
  }

  /**
   * The barrier before an exact check: resolves once `count` events of the channel `barrier` (joined after
   * everything the test checks) arrived, with the events of every other channel. Sound when the webhook's
   * deliveries leave one at a time (`inFlightPerApp: 1`): they reach the receiver in the order they were
   * queued, so whatever the earlier actions caused came first.
   */
  async through (barrier: string, count = 1): Promise<ReceivedEvent[]> {
    await this.until(() => this.events.filter((e) => e.channel === barrier).length >= count)
    return this.events.filter((e) => e.channel !== barrier)
  }

  async close (): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => { this.#server.close(() => { resolve() }) })
  }
}

export async function receiver (t: Teardown, port = 0): Promise<Receiver> {
  const r = await new Receiver().listen(port)
  t.teardown(() => r.close())
  return r
}
