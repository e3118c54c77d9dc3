/**
 * The PostgreSQL app store (`appStore: { type: 'postgres', url, table? }`, docs/apps.md): a pool for
 * lookups, and a LISTEN connection for the table's trigger, both owned by the plugin. At start it creates
 * the table, its function and triggers when they are missing (sql/broadcastt_apps.sql, named after the
 * table) and fails when PostgreSQL cannot be reached. A row is an app: `settings` holds its other options
 * in the plugin's JSON shape, validated by the same schema as static apps.
 */
import { readFile } from 'node:fs/promises'
import pg from 'pg'
import type { FastifyBaseLogger } from 'fastify'
import { AppStoreUnavailableError } from '../errors.js'
import { checkApp, type AppSource, type Loaded } from './app-store.js'
import { CLOSE_MS, PgListener, PROBE_MS } from './postgres-listener.js'
import { withTimeout } from '../hub/adapter-call.js'
import { errorFields } from '../log-safe.js'
import { DEFAULT_APP_TABLE, type PostgresAppStoreConfig } from './store-options.js'

/** The shipped SQL, whose names all derive from the default table name. */
const SQL_FILE = new URL('../../sql/broadcastt_apps.sql', import.meta.url)
/** The columns of the table; every other option is a key of `settings`. */
const COLUMNS = ['id', 'key', 'secret', 'enabled'] as const

interface Row {
  id: string
  key: string
  secret: string
  enabled: boolean
  settings: unknown
}

export interface PostgresStoreOptions {
  readonly config: PostgresAppStoreConfig
  /** Milliseconds a connection attempt or a query may take. */
  readonly timeoutMs: number
  readonly log: FastifyBaseLogger
}

/** A row as an app: the columns, and the settings under `settings.` in problems. */
export function rowToApp (row: Row): Loaded {
  const { id, key, secret, enabled, settings } = row
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    return { ok: false, id, problem: 'settings: Expected object' }
  }
  const column = COLUMNS.find((name) => Object.hasOwn(settings, name))
  if (column !== undefined) return { ok: false, id, problem: `settings.${column}: a column of the table, not a setting` }
  return checkApp({ ...settings, id, key, secret, enabled }, (path) =>
    (COLUMNS as readonly string[]).includes(path) ? path : path === '' ? 'settings' : `settings.${path}`)
}

export class PostgresAppStore implements AppSource {
  readonly #pool: pg.Pool
  readonly #listener: PgListener
  readonly #table: string
  readonly #select: string
  #changed: (ids: readonly string[] | undefined) => Promise<void> = async () => {}
  #closed = false
  /** The pool's connections, so none outlives `close()`. */
  readonly #clients = new Set<pg.Client>()
  /** Whether the last query through the pool succeeded; while not, a probe asks every PROBE_MS. */
  #poolOk = true
  #probe: NodeJS.Timeout | undefined

  constructor (private readonly options: PostgresStoreOptions) {
    const { config, timeoutMs, log } = options
    this.#table = config.table
    const client: pg.ClientConfig = {
      connectionString: config.url,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      keepAlive: true,
      application_name: 'broadcastt'
    }
    this.#pool = new pg.Pool({ ...client, max: config.poolSize })
    // An idle pooled connection that fails is dropped by the pool; the next query opens another.
    this.#pool.on('error', (err) => { log.warn({ err: errorFields(err) }, 'app store: a pooled PostgreSQL connection failed') })
    this.#pool.on('connect', (client) => { this.#clients.add(client) })
    this.#pool.on('remove', (client) => { this.#clients.delete(client) })
    this.#listener = new PgListener({
      client,
      channel: `${this.#table}_changed`,
      log,
      notified: (payload) => { this.#notified(payload) },
      reconnected: async () => { await this.#changed(undefined) }
    })
    this.#select = `SELECT id, key, secret, enabled, settings FROM "${this.#table}"`
  }

  /** Creates what is missing, then listens; throws `AppStoreUnavailableError` when that fails. */
  async start (changed: (ids: readonly string[] | undefined) => Promise<void>): Promise<void> {
    this.#changed = changed
    try {
      await this.#install()
      await this.#listener.start()
      this.#probe = setInterval(() => { if (!this.#poolOk) this.#rows('SELECT 1', []).catch(() => {}) }, PROBE_MS)
      this.#probe.unref()
    } catch (error) {
      await this.close()
      throw new AppStoreUnavailableError(`${this.#table}: ${(error as Error).message}`)
    }
  }

  /** Listening, caught up, and answering queries. */
  healthy (): boolean { return this.#listener.up && this.#poolOk }

  async byKey (key: string): Promise<Loaded | undefined> {
    return (await this.#rows(`${this.#select} WHERE key = $1`, [key]))[0]
  }

  async byId (id: string): Promise<Loaded | undefined> {
    return (await this.#rows(`${this.#select} WHERE id = $1`, [id]))[0]
  }

  async byIds (ids: readonly string[]): Promise<Loaded[]> {
    return await this.#rows(`${this.#select} WHERE id = ANY($1::text[])`, [ids])
  }

  async list (): Promise<Loaded[]> {
    return await this.#rows(`${this.#select} ORDER BY id`, [])
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#probe)
    await this.#listener.close()
    // A connection to a peer that stopped answering would hold a graceful end forever: cut what is left.
    await withTimeout(this.#pool.end(), CLOSE_MS, 'closing the pool').catch(() => {})
    for (const client of this.#clients) client.connection.stream.destroy()
  }

  async #rows (text: string, values: unknown[]): Promise<Loaded[]> {
    try {
      const result = await this.#pool.query<Row>(text, values)
      this.#poolOk = true
      return result.rows.map(rowToApp)
    } catch (error) {
      this.#poolOk = false
      throw error
    }
  }

  /** A notification's JSON array of ids; anything else (a TRUNCATE's '') reloads every cached app. */
  #notified (payload: string): void {
    let ids: unknown
    try {
      ids = JSON.parse(payload)
    } catch {}
    const changed = Array.isArray(ids) && ids.every((id) => typeof id === 'string') ? ids as string[] : undefined
    this.#changed(changed).catch(() => {}) // a reload that fails is logged; the TTL brings the apps up to date
  }

  /** Runs the shipped SQL (named after the table) unless the table and both triggers exist already. */
  async #install (): Promise<void> {
    const triggers = [`${this.#table}_changed`, `${this.#table}_truncated`]
    const { rows } = await this.#pool.query<{ present: string }>(
      'SELECT count(*) AS present FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname = ANY($2::text[])',
      [this.#table, triggers])
    if (Number(rows[0]?.present) === triggers.length) return
    const sql = (await readFile(SQL_FILE, 'utf8')).replaceAll(DEFAULT_APP_TABLE, this.#table)
    const client = await this.#pool.connect()
    try {
      // Nodes starting together take turns: concurrent CREATE OR REPLACE FUNCTION calls conflict.
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`broadcastt:${this.#table}`])
      await client.query(sql)
      await client.query('COMMIT')
      this.options.log.info({ table: this.#table }, 'app store: created the apps table (or its trigger) in PostgreSQL')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }
}
