/**
 * The LISTEN connection of the PostgreSQL app store: one `pg.Client` of its own that receives the table's
 * notifications. It is probed every few seconds (a connection cut without a FIN only shows when a query
 * goes unanswered); when it is lost it reconnects with a backoff, and once listening again asks for a full
 * reload, since notifications sent meanwhile were missed.
 */
import pg from 'pg'
import type { FastifyBaseLogger } from 'fastify'

/** Milliseconds between two probes of the connection. */
const PROBE_MS = 2000
/** Reconnection backoff: 100 ms doubling up to 5 s. */
const backoff = (attempt: number): number => Math.min(100 * 2 ** Math.min(attempt, 6), 5000)
/** Milliseconds `close()` waits for a graceful goodbye before it cuts the socket. */
const CLOSE_MS = 1000

export interface ListenerOptions {
  readonly client: pg.ClientConfig
  readonly channel: string
  readonly log: FastifyBaseLogger
  /** A notification's payload. */
  readonly notified: (payload: string) => void
  /** Listening again after the connection was lost: what was notified meanwhile is unknown. */
  readonly reconnected: () => void
}

export class PgListener {
  #client: pg.Client | undefined
  #up = false
  #closed = false
  #attempt = 0
  #retry: NodeJS.Timeout | undefined
  #probe: NodeJS.Timeout | undefined
  #probing = false

  constructor (private readonly options: ListenerOptions) {}

  /** Whether it is connected and listening (notifications arrive). */
  get up (): boolean { return this.#up }

  /** Connects and listens; rejects when PostgreSQL cannot be reached. */
  async start (): Promise<void> {
    await this.#connect()
    this.#probe = setInterval(() => { this.#check() }, PROBE_MS)
    this.#probe.unref()
  }

  async #connect (): Promise<void> {
    const client = new pg.Client(this.options.client)
    client.on('error', (err) => { this.#lost(client, err) })
    client.on('end', () => { this.#lost(client, undefined) })
    client.on('notification', (message) => { if (client === this.#client) this.options.notified(message.payload ?? '') })
    this.#client = client
    try {
      await client.connect()
      await client.query(`LISTEN "${this.options.channel}"`)
    } catch (error) {
      this.#drop(client)
      throw error
    }
    this.#up = true
  }

  #lost (client: pg.Client, err: Error | undefined): void {
    if (client !== this.#client || this.#closed) return
    this.#drop(client)
    this.options.log.error({ err }, 'app store: the PostgreSQL LISTEN connection was lost; reconnecting')
    this.#schedule()
  }

  /** Forgets a client and cuts its socket (a graceful end could wait on a peer that no longer answers). */
  #drop (client: pg.Client): void {
    if (client === this.#client) {
      this.#client = undefined
      this.#up = false
    }
    client.connection.stream.destroy()
  }

  #schedule (): void {
    const delay = backoff(this.#attempt++)
    this.#retry = setTimeout(() => {
      this.#retry = undefined
      this.#connect().then(() => {
        this.#attempt = 0
        this.options.log.info('app store: listening to PostgreSQL again; reloading the cached apps')
        this.options.reconnected()
      }, () => {
        if (!this.#closed) this.#schedule()
      })
    }, delay)
    this.#retry.unref()
  }

  /** A query on the connection; a connection whose query fails or times out is lost. */
  #check (): void {
    const client = this.#client
    if (client === undefined || this.#probing || !this.#up) return
    this.#probing = true
    client.query('SELECT 1').then(() => {}, (err: Error) => { this.#lost(client, err) })
      .finally(() => { this.#probing = false })
  }

  async close (): Promise<void> {
    this.#closed = true
    clearInterval(this.#probe)
    clearTimeout(this.#retry)
    const client = this.#client
    this.#client = undefined
    this.#up = false
    if (client === undefined) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      client.end().catch(() => {}),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_MS) })
    ])
    clearTimeout(timer)
    client.connection.stream.destroy()
  }
}
