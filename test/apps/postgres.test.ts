/**
 * The PostgreSQL app store against the machine's real PostgreSQL (`DATABASE_URL`), each test on a table of
 * its own: the table and its trigger created at start (or by the shipped SQL file), apps inserted with SQL
 * served at once, no query for a warm app, changes through the trigger (rotated secret, settings, disabled,
 * deleted, TRUNCATE) applied to open connections, and bad rows skipped with one log line.
 */
import Fastify from 'fastify'
import t from 'tap'
import broadcastt from '../../src/index.js'
import { PostgresAppStore } from '../../src/apps/postgres-store.js'
import type { AppInput } from '../../src/index.js'
import { DATABASE_URL, insertApp, testTable } from '../helpers/postgres.js'
import { captureLog } from '../helpers/log.js'
import { TEST_APP, type TestServer } from '../helpers/server.js'
import { connect, open } from '../helpers/ws-client.js'
import { signed } from '../http/helpers.js'
import { receiver } from '../webhooks/receiver.js'
import { BEARER, startConsole } from '../console/helpers.js'
import { applied, APPLY_MS, changeSettings, disable, eventually, remove, rotateSecret, within } from './scenarios.js'
import { createTable, pgServer, pgSetup } from './pg-setup.js'

const APP: AppInput = { id: 'pg-app', key: 'pg-key', secret: 'pg-secret', clientEvents: true, limits: { presenceMembers: 7 } }

const queries = async (server: TestServer): Promise<number> =>
  Number(/^broadcastt_app_store_queries_total (\d+)$/m.exec((await server.app.broadcastt.metrics()).body)?.[1])

t.test('the table and its triggers are created at start; the shipped SQL file creates the same', async (t) => {
  const { db, table } = await pgSetup(t, [], false)
  const log = captureLog()
  await pgServer(t, table, {}, log)
  const columns = await db.query('SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns ' +
    'WHERE table_name = $1 ORDER BY ordinal_position', [table])
  t.same(columns.rows.map((c) => [c.column_name, c.data_type, c.is_nullable]), [
    ['id', 'text', 'NO'], ['key', 'text', 'NO'], ['secret', 'text', 'NO'], ['enabled', 'boolean', 'NO'], ['settings', 'jsonb', 'NO']
  ])
  const triggers = await db.query('SELECT tgname FROM pg_trigger WHERE tgrelid = $1::regclass ORDER BY tgname', [table])
  t.same(triggers.rows.map((r) => r.tgname), [`${table}_changed`, `${table}_truncated`])
  t.match(log.lines.map((line) => line.msg), ['app store: created the apps table (or its trigger) in PostgreSQL'])
  const again = captureLog()
  await pgServer(t, table, {}, again)
  t.same(again.lines.filter((line) => /created/.test(String(line.msg))), [], 'a second node finds it and creates nothing')

  const other = testTable(t)
  await createTable(db, other)
  await createTable(db, other) // running it twice is harmless
  const dba = captureLog()
  const server = await pgServer(t, other, {}, dba)
  t.same(dba.lines.filter((line) => /created/.test(String(line.msg))), [], 'a table made from the SQL file is used as it is')
  await insertApp(db, other, APP)
  await open(t, server.wsUrl(APP.key))
})

t.test('an app inserted with SQL is served at once; warm upgrades and requests make no query', async (t) => {
  const { db, table } = await pgSetup(t)
  const server = await pgServer(t, table, { metrics: { enabled: true } })
  t.match((await connect(server.wsUrl(APP.key))).first.json, { code: 4001 }, 'not there yet')
  await insertApp(db, table, APP)
  await eventually(async () => (await connect(server.wsUrl(APP.key))).first.event === 'pusher:connection_established',
    'the new app connects (its key was remembered as unknown)')
  const warm = await queries(server)
  for (let i = 0; i < 10; i++) await open(t, server.wsUrl(APP.key))
  for (let i = 0; i < 5; i++) t.equal((await signed(server, 'GET', '/channels', { app: APP })).status, 200)
  t.equal(await queries(server), warm, '10 upgrades and 5 signed requests, 0 queries')
  t.equal(server.app.broadcastt.authorizeChannel(APP.id, '1.2', 'private-x').auth.split(':')[0], APP.key)
})

t.test('changes through the trigger: secret, settings, disabled, deleted', async (t) => {
  const apps = ['rotate', 'settings', 'disable', 'remove'].map((id) => ({ ...APP, id, key: `${id}-key` }))
  const { table, backend } = await pgSetup(t, apps)
  const server = await pgServer(t, table)
  const [rotate, settings, disabled, removed] = apps as [AppInput, AppInput, AppInput, AppInput]
  await t.test('secret', async (t) => { await rotateSecret(t, backend, [server], rotate) })
  await t.test('settings', async (t) => { await changeSettings(t, backend, [server], settings, await receiver(t)) })
  await t.test('disabled', async (t) => { await disable(t, backend, [server], disabled) })
  await t.test('deleted', async (t) => { await remove(t, backend, [server], removed) })
})

t.test('TRUNCATE closes every app\'s connections (4001)', async (t) => {
  const { db, table } = await pgSetup(t, [APP])
  const server = await pgServer(t, table)
  const client = await open(t, server.wsUrl(APP.key))
  const done = applied(server.app, APP.id)
  await db.query(`TRUNCATE "${table}"`)
  t.equal(await within(APPLY_MS, done, 'truncate applied'), 'deleted')
  t.equal((await client.closed).code, 4001)
})

t.test('a bad row is skipped with one log line naming the app id and the path', async (t) => {
  const { db, table } = await pgSetup(t, [APP])
  await insertApp(db, table, { ...APP, id: 'typo', key: 'typo-key' }, { limits: { maxConnections: 'ten' } })
  await insertApp(db, table, { ...APP, id: 'column', key: 'column-key' }, { secret: 'x' })
  await insertApp(db, table, { ...APP, id: 'list', key: 'list-key' }, [1, 2])
  await insertApp(db, table, { ...APP, id: 'spaced', key: 'bad key' })
  const log = captureLog()
  const server = await pgServer(t, table, {}, log)
  for (const key of ['typo-key', 'column-key', 'list-key', 'bad key', 'typo-key']) {
    t.match((await connect(server.wsUrl(encodeURIComponent(key)))).first.json, { code: 4001 }, `${key}: 4001`)
  }
  const errors = log.lines.filter((line) => line.level === 50).map((line) => [line.appId, line.msg])
  t.same(errors, [
    ['typo', 'app store: app typo skipped: settings.limits.maxConnections: Expected integer'],
    ['column', 'app store: app column skipped: settings.secret: a column of the table, not a setting'],
    ['list', 'app store: app list skipped: settings: Expected object'],
    ['spaced', 'app store: app spaced skipped: key: Expected string to match \'^[A-Za-z0-9_\\-.]+$\'']
  ], 'one line per bad row, even when looked up twice')

  const client = await open(t, server.wsUrl(APP.key))
  const done = applied(server.app, APP.id)
  await db.query(`UPDATE "${table}" SET settings = '{"dialects": []}' WHERE id = $1`, [APP.id])
  t.equal(await within(APPLY_MS, done, 'bad update applied'), 'deleted', 'a row edited into a bad one is served as gone')
  t.equal((await client.closed).code, 4001)
  t.match(log.lines.at(-1), { appId: APP.id, msg: /settings\.dialects: Expected array length to be greater or equal to 1/ })
})

t.test('a static app wins over a row with its key', async (t) => {
  const { table } = await pgSetup(t, [{ id: 'impostor', key: TEST_APP.key, secret: 'other' }])
  const server = await pgServer(t, table, { apps: [TEST_APP] })
  const client = await open(t, server.wsUrl(TEST_APP.key))
  t.ok(client.socketId)
  t.equal((await signed(server, 'GET', '/channels')).status, 200, 'the static app\'s secret signs')
  t.equal((await signed(server, 'GET', '/channels', { app: { id: 'impostor', key: TEST_APP.key, secret: 'other' } })).status, 404)
})

t.test('a table that cannot get its trigger: registration fails with a clear error, nothing is left open', async (t) => {
  const { db, table } = await pgSetup(t, [], false)
  await db.query(`CREATE VIEW "${table}" AS SELECT 'x'::text AS id`)
  t.teardown(async () => { await db.query(`DROP VIEW IF EXISTS "${table}"`) })
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await t.rejects(async () => { await app.register(broadcastt, { appStore: { type: 'postgres', url: DATABASE_URL, table } }) },
    { code: 'FST_BROADCASTT_APP_STORE_UNAVAILABLE', message: new RegExp(`^PostgreSQL app store unavailable: ${table}: "${table}" is a view`) })
  const functions = await db.query('SELECT count(*)::int AS n FROM pg_proc WHERE proname = $1', [`${table}_notify`])
  t.equal(functions.rows[0]?.n, 0, 'the failed creation was rolled back')
})

t.test('list(): every row, bad ones left out', async (t) => {
  const { db, table } = await pgSetup(t, [APP, { ...APP, id: 'other', key: 'other-key' }])
  await insertApp(db, table, { ...APP, id: 'broken', key: 'broken-key' }, { limits: 'none' })
  const store = new PostgresAppStore({ config: { type: 'postgres', url: DATABASE_URL, table, poolSize: 1 }, timeoutMs: 2000, log: Fastify().log })
  await store.start(async () => {})
  t.teardown(() => store.close())
  const listed = await store.list()
  t.same(listed.map((loaded) => loaded.ok ? loaded.app.id : `${loaded.id}: ${loaded.problem}`),
    ['broken: settings.limits: Expected object', 'other', 'pg-app'])
  t.ok(store.healthy())
})

t.test('the debug console lists the static apps and the table\'s', async (t) => {
  const { table } = await pgSetup(t, [APP])
  const server = await startConsole(t, { apps: [TEST_APP], appStore: { type: 'postgres', url: DATABASE_URL, table } })
  const response = await fetch(`${server.base}/api/apps`, { headers: BEARER })
  const body = await response.json() as { apps: Array<{ id: string }> }
  t.same(body.apps.map((app) => app.id), [TEST_APP.id, APP.id])
})
