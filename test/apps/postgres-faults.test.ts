/**
 * PostgreSQL going away, through a TCP proxy between the server and the machine's PostgreSQL (no mock of
 * pg): cut after start (connections reset), or silent (packets dropped). Cached apps keep working, misses
 * answer 4001 / 404 within `adapterTimeoutMs` with a log line, `/ready` says `degraded`, and everything
 * resumes when it is back, a change made meanwhile included. Down at start: registration fails, and the
 * standalone server exits 1 with one line.
 */
import { createServer } from 'node:net'
import { once } from 'node:events'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import broadcastt, { type AppInput } from '../../src/index.js'
import { DATABASE_URL } from '../helpers/postgres.js'
import { captureLog } from '../helpers/log.js'
import { startServer } from '../helpers/server.js'
import { TcpProxy } from '../helpers/tcp-proxy.js'
import { connect, open } from '../helpers/ws-client.js'
import { signed } from '../http/helpers.js'
import { runToEnd } from '../cli/process.js'
import { pgSetup } from './pg-setup.js'
import { eventually, within } from './scenarios.js'

const WARM: AppInput = { id: 'warm', key: 'warm-key', secret: 'warm-secret' }
const COLD: AppInput = { id: 'cold', key: 'cold-key', secret: 'cold-secret' }
const TIMEOUT_MS = 500
/** Far above TIMEOUT_MS, far below a hang: the machine is shared and loaded. */
const PROMPT_MS = 4000
/** The LISTEN connection retries with a backoff of up to 5 s: back within that and a reload. */
const RESUME_MS = 10_000

async function throughProxy (t: Test) {
  const { db, table } = await pgSetup(t, [WARM, COLD])
  const upstream = new URL(DATABASE_URL)
  const proxy = await TcpProxy.start(t, upstream.hostname, Number(upstream.port || 5432))
  const log = captureLog()
  const server = await startServer(t, {
    apps: [], health: true, adapterTimeoutMs: TIMEOUT_MS, appStore: { type: 'postgres', url: proxy.through(DATABASE_URL), table }
  }, undefined, log.stream)
  return { db, table, proxy, log, server }
}

t.test('cut after start: cached apps work, misses refused promptly, degraded, then all resumes', async (t) => {
  const { db, table, proxy, log, server } = await throughProxy(t)
  const warm = await open(t, server.wsUrl(WARM.key))
  t.equal(server.app.broadcastt.readiness(), 'ready')
  proxy.cut()
  await eventually(() => server.app.broadcastt.readiness() === 'degraded', 'degraded', PROMPT_MS)
  await open(t, server.wsUrl(WARM.key))
  t.equal((await signed(server, 'GET', '/channels', { app: WARM })).status, 200, 'the cached app keeps working')
  t.match((await within(PROMPT_MS, connect(server.wsUrl(COLD.key)), 'refusal')).first.json, { code: 4001 }, 'a miss: 4001')
  t.equal((await within(PROMPT_MS, signed(server, 'GET', '/channels', { app: COLD }), 'REST')).status, 404, 'and 404')
  const ready = await fetch(`http://127.0.0.1:${server.port}/ready`)
  t.same([ready.status, await ready.json()], [200, { status: 'degraded' }])
  const errors = log.lines.filter((line) => line.level === 50).map((line) => String(line.msg))
  t.ok(errors.some((msg) => msg.startsWith('app store: the PostgreSQL LISTEN connection was lost')), 'the lost connection is logged')
  t.ok(errors.some((msg) => msg.startsWith('app store: query failed')), 'the failed lookup is logged')

  await db.query(`UPDATE "${table}" SET enabled = false WHERE id = $1`, [WARM.id]) // its notification is lost
  proxy.restore()
  t.equal((await within(RESUME_MS, warm.closed, 'the missed change applied')).code, 4003,
    'after the reconnection the cached apps are reloaded: the change made meanwhile applies')
  await eventually(() => server.app.broadcastt.readiness() === 'ready', 'ready again', RESUME_MS)
  await open(t, server.wsUrl(COLD.key))
  t.equal((await signed(server, 'GET', '/channels', { app: COLD })).status, 200, 'misses are served again')
})

t.test('a database that stops answering: misses are refused within adapterTimeoutMs, then it resumes', async (t) => {
  const { proxy, server } = await throughProxy(t)
  await open(t, server.wsUrl(WARM.key))
  proxy.hang()
  t.match((await within(PROMPT_MS, connect(server.wsUrl(COLD.key)), 'refusal')).first.json, { code: 4001 })
  await open(t, server.wsUrl(WARM.key))
  await eventually(() => server.app.broadcastt.readiness() === 'degraded', 'the probe notices', PROMPT_MS + 2000)
  proxy.restore()
  await eventually(() => server.app.broadcastt.readiness() === 'ready', 'ready again', RESUME_MS)
  await eventually(async () => (await connect(server.wsUrl(COLD.key))).first.event === 'pusher:connection_established',
    'served again', RESUME_MS)
})

t.test('down at start: registration fails; the standalone server exits 1 with one line', async (t) => {
  const closed = createServer().listen(0, '127.0.0.1')
  await once(closed, 'listening')
  const { port } = closed.address() as { port: number }
  await new Promise((resolve) => { closed.close(resolve) })
  const url = `postgres://postgres@127.0.0.1:${port}/test`
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await t.rejects(async () => { await app.register(broadcastt, { appStore: { type: 'postgres', url } }) },
    { code: 'FST_BROADCASTT_APP_STORE_UNAVAILABLE', message: /^PostgreSQL app store unavailable: broadcastt_apps: .*ECONNREFUSED/ })
  const run = await runToEnd([], { BROADCASTT_DATABASE_URL: url })
  t.equal(run.code, 1)
  t.match(run.stderr, /^broadcastt-server: cannot start: PostgreSQL app store unavailable: broadcastt_apps: .*ECONNREFUSED.*\n$/)
})
