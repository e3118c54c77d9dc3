/**
 * One open console tab: a Server-Sent Events response with a bounded queue. Entries are queued, then
 * written together on the feed's next flush; while the socket does not take more (`write` returned false,
 * until `drain`), entries wait in the queue, and past `maxQueued` characters they are dropped and counted.
 * The tab is told how many were dropped, after the entries that made it. So a slow tab costs a bounded
 * amount of memory and never holds up anything else: the hub only ever appends a string to an array.
 */
import type { ServerResponse } from 'node:http'

/** Characters one tab may have waiting (entries are JSON text: about as many bytes). */
export const MAX_QUEUED_CHARS = 1024 * 1024

/** One SSE message. `data` is JSON, so it holds no newline. */
export function sseMessage (event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`
}

export class SseClient {
  #queue: string[] = []
  #queued = 0
  #dropped = 0
  #blocked = false
  #closed = false

  constructor (readonly res: ServerResponse, readonly appId: string, private readonly maxQueued = MAX_QUEUED_CHARS) {
    res.on('drain', () => {
      this.#blocked = false
      this.flush()
    })
  }

  /** Queues one SSE message; dropped (and counted) when the queue is full. */
  push (message: string): void {
    if (this.#queued + message.length > this.maxQueued) {
      this.#dropped++
      return
    }
    this.#queue.push(message)
    this.#queued += message.length
  }

  /** Writes what is queued, unless the socket is still full. */
  flush (): void {
    if (this.#blocked || this.#closed || (this.#queue.length === 0 && this.#dropped === 0)) return
    let out = this.#queue.join('')
    if (this.#dropped > 0) out += sseMessage('dropped', `{"count":${this.#dropped}}`)
    this.#queue = []
    this.#queued = 0
    this.#dropped = 0
    if (!this.res.write(out)) this.#blocked = true
  }

  /** Ends the response (the server is closing). */
  end (): void {
    if (this.#closed) return
    this.#closed = true
    this.res.end()
  }
}
