/** A PostgreSQL table of the test's own for the app store tests, and servers reading it. */
import { readFile } from 'node:fs/promises'
import type { Test } from 'tap'
import type pg from 'pg'
import type { AppInput } from '../../src/index.js'
import { DATABASE_URL, insertApp, settingsOf, sqlClient, testTable } from '../helpers/postgres.js'
import type { CapturedLog } from '../helpers/log.js'
import { startServer, type TestServer } from '../helpers/server.js'
import type { Backend } from './scenarios.js'

export interface PgSetup { db: pg.Client, table: string, backend: Backend }

/** The shipped SQL for a table of another name, as a DBA would run it. */
export async function createTable (db: pg.Client, table: string): Promise<void> {
  const sql = await readFile(new URL('../../sql/broadcastt_apps.sql', import.meta.url), 'utf8')
  await db.query(sql.replaceAll('broadcastt_apps', table))
}

/**
 * A table of the test's own (made from the SQL file, with `apps` in it, unless `created` is false), a client
 * to change it, and the backend the scenarios change apps through. Rows are inserted before any server
 * listens, so no notification of theirs arrives while a test runs.
 */
export async function pgSetup (t: Test, apps: readonly AppInput[] = [], created = true): Promise<PgSetup> {
  const table = testTable(t)
  const db = await sqlClient(t)
  if (created) await createTable(db, table)
  for (const app of apps) await insertApp(db, table, app)
  const backend: Backend = {
    put: async (app) => {
      await db.query(`INSERT INTO "${table}" (id, key, secret, enabled, settings) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (id) DO UPDATE SET key = $2, secret = $3, enabled = $4, settings = $5`,
      [app.id, app.key, app.secret, app.enabled ?? true, JSON.stringify(settingsOf(app))])
    },
    remove: async (id) => { await db.query(`DELETE FROM "${table}" WHERE id = $1`, [id]) }
  }
  return { db, table, backend }
}

export async function pgServer (t: Test, table: string, options: Record<string, unknown> = {}, log?: CapturedLog): Promise<TestServer> {
  return await startServer(t, { apps: [], appStore: { type: 'postgres', url: DATABASE_URL, table }, ...options }, undefined, log?.stream)
}
