/**
 * The LISTEN connection of the PostgreSQL app store: one `pg.Client` of its own that receives the table's
 * notifications. It is probed every few seconds (a connection cut without a FIN only shows when a query
 * goes unanswered); when it is lost it reconnects with a backoff, and once listening again asks for a full
 * reload, since notifications sent meanwhile were missed, until one succeeds (it is not `up` before).
 */
import pg from 'pg'
import type { FastifyBaseLogger } from 'fastify'
import { withTimeout } from '../hub/adapter-call.js'
import { errorFields } from '../log-safe.js'

/** Milliseconds between two probes of the connection. */
export const PROBE_MS = 2000
/** Reconnection backoff: 100 ms doubling up to 5 s. */
const backoff = (attempt: number): number => Math.min(100 * 2 ** Math.min(attempt, 6), 5000)
/** Milliseconds `close()` waits for a graceful goodbye before it cuts the socket. */
export const CLOSE_MS = 1000

export interface ListenerOptions {
  readonly client: pg.ClientConfig
  readonly channel: string
  readonly log: FastifyBaseLogger
  /** A notification's payload. */
  readonly notified: (payload: string) => void
  /** Listening again after the connection was lost: what was notified meanwhile is unknown (retried until it resolves). */
  readonly reconnected: () => Promise<void>
}

export class PgListener {
  #client: pg.Client | undefined
  #up = false
  /** Whether what was missed while disconnected has been caught up with (`reconnected` resolved). */
  #synced = true
  #closed = false
  #attempt = 0
  #retry: NodeJS.Timeout | undefined
  #probe: NodeJS.Timeout | undefined
  #probing = false

  constructor (private readonly options: ListenerOptions) {}

  /** Whether it is connected, listening (notifications arrive) and caught up with what it missed. */
  get up (): boolean { return this.#up && this.#synced }

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
    this.options.log.error(err === undefined ? {} : { err: errorFields(err) }, 'app store: the PostgreSQL LISTEN connection was lost; reconnecting')
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
        this.#synced = false
        this.options.log.info('app store: listening to PostgreSQL again; reloading the cached apps')
        this.#catchUp()
      }, () => {
        if (!this.#closed) this.#schedule()
      })
    }, delay)
    this.#retry.unref()
  }

  /** Reloads what may have changed while disconnected; the probe tries again until it succeeds. */
  #catchUp (): void {
    this.#probing = true
    this.options.reconnected().then(() => { this.#synced = true }, () => {})
      .finally(() => { this.#probing = false })
  }

  /** A query on the connection (a connection whose query fails or times out is lost), or a catch-up not done yet. */
  #check (): void {
    const client = this.#client
    if (client === undefined || this.#probing || !this.#up) return
    if (!this.#synced) {
      this.#catchUp()
      return
    }
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
    await withTimeout(client.end(), CLOSE_MS, 'closing the LISTEN connection').catch(() => {})
    client.connection.stream.destroy()
  }
}
