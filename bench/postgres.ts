/**
 * The PostgreSQL side of the `pg` bench server (this project with its app in a PostgreSQL table): a table
 * of this bench run's own in `DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/test), made from the
 * shipped SQL file with the bench app in it, dropped when the run ends.
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import pg from 'pg'

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

let table: Promise<string> | undefined

async function run (statements: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL })
  await client.connect()
  try {
    await statements(client)
  } finally {
    await client.end()
  }
}

/** The run's table, created with `app` in it on first use. */
export async function benchTable (app: { id: string, key: string, secret: string, [setting: string]: unknown }): Promise<string> {
  table ??= (async () => {
    const name = `bench_apps_${randomBytes(4).toString('hex')}`
    const sql = (await readFile(new URL('../sql/broadcastt_apps.sql', import.meta.url), 'utf8')).replaceAll('broadcastt_apps', name)
    const { id, key, secret, ...settings } = app
    await run(async (client) => {
      await client.query(sql)
      await client.query(`INSERT INTO "${name}" (id, key, secret, settings) VALUES ($1, $2, $3, $4)`, [id, key, secret, JSON.stringify(settings)])
    })
    return name
  })()
  return await table
}

/** Drops the run's table, if one was made. */
export async function dropBenchTable (): Promise<void> {
  if (table === undefined) return
  const name = await table.catch(() => undefined)
  if (name === undefined) return
  await run(async (client) => {
    await client.query(`DROP TABLE IF EXISTS "${name}" CASCADE`)
    await client.query(`DROP FUNCTION IF EXISTS "${name}_notify"()`)
  })
}
