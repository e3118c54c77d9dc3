/**
 * PostgreSQL for tests: `DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/test), shared with other
 * test runs and sessions, so every test uses a table of its own (random suffix; its trigger, function and
 * NOTIFY channel are named after it) and drops only that table and function when it ends.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { AppInput } from '../../src/index.js'

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

interface Teardown { teardown (fn: () => unknown): void }

/** A plain client for the test's own statements, closed when the test ends. */
export async function sqlClient (t: Teardown, url = DATABASE_URL): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {})
  await client.connect()
  t.teardown(async () => { await client.end().catch(() => {}) })
  return client
}

/** A fresh table name; the table and its notify function are dropped when the test ends. */
export function testTable (t: Teardown): string {
  const table = `bt_test_${randomBytes(5).toString('hex')}`
  t.teardown(async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL })
    await client.connect()
    try {
      await client.query(`DROP TABLE IF EXISTS "${table}" CASCADE`)
      await client.query(`DROP FUNCTION IF EXISTS "${table}_notify"()`)
    } finally {
      await client.end()
    }
  })
  return table
}

/** Creates the table as the shipped SQL does (through a store's start) — or use `insertApp` after a server started. */
export async function insertApp (client: pg.Client, table: string, app: AppInput, settings: unknown = settingsOf(app)): Promise<void> {
  await client.query(`INSERT INTO "${table}" (id, key, secret, enabled, settings) VALUES ($1, $2, $3, $4, $5)`,
    [app.id, app.key, app.secret, app.enabled ?? true, JSON.stringify(settings)])
}

/** Every option of an app but the columns, as the table's `settings` holds them. */
export function settingsOf (app: AppInput): Record<string, unknown> {
  const { id: _id, key: _key, secret: _secret, enabled: _enabled, ...settings } = app
  return settings
}
