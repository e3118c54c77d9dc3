/**
 * A server with the console on, and a real Server-Sent Events reader of its stream (node:http, so a test
 * can stop reading to play a slow tab). `next()` waits for the next message matching a predicate, without
 * sleeping.
 */
import { request, type IncomingMessage } from 'node:http'
import type { BroadcasttOptions } from '../../src/index.js'
import { startServer, type TestServer } from '../helpers/server.js'

export const TOKEN = 'a-console-token-for-the-tests'
export const BEARER = { authorization: `Bearer ${TOKEN}` }

interface Teardown { teardown (fn: () => unknown): void }

export interface ConsoleServer extends TestServer {
  /** `http://127.0.0.1:PORT{prefix}/console` */
  base: string
}

export async function startConsole (t: Teardown, options: Partial<BroadcasttOptions> = {}): Promise<ConsoleServer> {
  const server = await startServer(t, { console: { enabled: true, token: TOKEN }, ...options })
  const path = options.console?.path ?? '/console'
  return { ...server, base: `http://127.0.0.1:${server.port}${options.prefix ?? ''}${path}` }
}

export interface SseMessage { event: string, data: unknown }

interface Waiter { match: (m: SseMessage) => boolean, resolve: (m: SseMessage) => void }

export class SseReader {
  readonly messages: SseMessage[] = []
  readonly #waiters: Waiter[] = []
  #buffer = ''
  /** Bytes read so far. */
  bytes = 0

  constructor (readonly response: IncomingMessage) {
    response.setEncoding('utf8')
    response.on('data', (chunk: string) => {
      this.bytes += Buffer.byteLength(chunk)
      this.#buffer += chunk
      let end: number
      while ((end = this.#buffer.indexOf('\n\n')) !== -1) {
        this.#parse(this.#buffer.slice(0, end))
        this.#buffer = this.#buffer.slice(end + 2)
      }
    })
  }

  #parse (block: string): void {
    let event = 'message'
    let data: string | undefined
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7)
      else if (line.startsWith('data: ')) data = line.slice(6)
    }
    if (data === undefined) return
    const message = { event, data: JSON.parse(data) as unknown }
    const i = this.#waiters.findIndex((w) => w.match(message))
    if (i === -1) this.messages.push(message)
    else this.#waiters.splice(i, 1)[0]?.resolve(message)
  }

  /** The next message (already received or to come) for which `match` holds. */
  next (match: (m: SseMessage) => boolean, timeoutMs = 5000): Promise<SseMessage> {
    const i = this.messages.findIndex(match)
    if (i !== -1) return Promise.resolve(this.messages.splice(i, 1)[0] as SseMessage)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`no console message matching ${String(match)} within ${timeoutMs} ms`)) }, timeoutMs)
      this.#waiters.push({ match, resolve: (m) => { clearTimeout(timer); resolve(m) } })
    })
  }

  /** The next log entry of hub event `type` whose fields include `fields`. */
  async entry (type: string, fields: Record<string, unknown> = {}, timeoutMs?: number): Promise<Record<string, unknown>> {
    const message = await this.next((m) => {
      if (m.event !== 'entry') return false
      const entry = m.data as Record<string, unknown>
      return entry.type === type && Object.entries(fields).every(([k, v]) => JSON.stringify(entry[k]) === JSON.stringify(v))
    }, timeoutMs)
    return message.data as Record<string, unknown>
  }

  close (): void {
    this.response.destroy()
  }
}

/** Opens the console's stream of `appId`; resolves once the answer's head is in. */
export async function openStream (t: Teardown, server: ConsoleServer, appId: string,
  headers: Record<string, string> = BEARER): Promise<SseReader> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    request(`${server.base}/api/stream?app=${encodeURIComponent(appId)}`, { headers }, resolve).on('error', reject).end()
  })
  if (response.statusCode !== 200) throw new Error(`stream answered ${response.statusCode ?? '?'}`)
  const reader = new SseReader(response)
  t.teardown(() => { reader.close() })
  return reader
}
