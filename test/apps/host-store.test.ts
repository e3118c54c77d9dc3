/**
 * A host's own app store (`appStore: { byKey, byId }`) behind a real server: its apps connect and sign like
 * static ones, a warm app costs no store call, `appChanged(id)` applies rotated secrets, new settings, a
 * disabled or deleted app to open connections, random keys cost a bounded number of calls, and a store that
 * fails or hangs is answered within `adapterTimeoutMs` while cached apps keep working.
 */
import t, { type Test } from 'tap'
import type { AppInput, Clock } from '../../src/index.js'
import { systemClock } from '../../src/hub/heartbeat.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'
import { captureLog } from '../helpers/log.js'
import { GatedAdapter } from '../helpers/gated-adapter.js'
import WebSocket from 'ws'
import { connect, open, TestClient } from '../helpers/ws-client.js'
import { signed } from '../http/helpers.js'
import { receiver } from '../webhooks/receiver.js'
import { FakeStore, hostBackend } from './fake-store.js'
import { changeSettings, disable, remove, rotateSecret, within, type Backend } from './scenarios.js'

const STORED: AppInput = { id: 'stored', key: 'stored-key', secret: 'stored-secret', clientEvents: true }

async function withStore (t: Test, store: FakeStore, options: Record<string, unknown> = {}): Promise<{ server: TestServer, backend: Backend }> {
  const server = await startServer(t, { appStore: store, ...options })
  const backend = hostBackend(store, server.app)
  return { server, backend }
}

t.test('store apps connect and sign like static ones; once warm, no store call', async (t) => {
  const store = new FakeStore([STORED, { id: 'shadow', key: TEST_APP.key, secret: 'other' }])
  const { server } = await withStore(t, store)
  store.hold()
  const cold = new TestClient(new WebSocket(server.wsUrl(STORED.key)))
  t.teardown(() => { cold.ws.terminate() })
  await store.called(1)
  t.equal(cold.ws.readyState, WebSocket.CONNECTING, 'the upgrade waits for the store')
  store.release()
  t.equal((await cold.next()).event, 'pusher:connection_established', 'then it completes')
  for (let i = 0; i < 5; i++) await open(t, server.wsUrl(STORED.key))
  t.equal((await signed(server, 'GET', '/channels', { app: STORED })).status, 200)
  t.equal(store.calls, 1, 'warm: five upgrades and a signed request made no call')
  t.match((await connect(server.wsUrl('no-such-key'))).first.json, { code: 4001 })
  t.equal((await signed(server, 'GET', '/channels', { app: { ...STORED, id: 'no-such-id' } })).status, 404)
  await open(t, server.wsUrl(TEST_APP.key))
  t.equal((await signed(server, 'GET', '/channels')).status, 200, 'a static app works beside the store')
  t.equal(store.calls, 3, 'static apps are never asked for; the two unknown ones were')
  t.equal((await signed(server, 'GET', '/channels', { app: { id: 'shadow', key: TEST_APP.key, secret: 'other' } })).status, 404,
    'a store app sharing a static app\'s key is not served')
})

t.test('appChanged: a rotated secret, new settings, a disabled app, a deleted app', async (t) => {
  const store = new FakeStore()
  const { server, backend } = await withStore(t, store)
  const apps = ['rotate', 'settings', 'disable', 'remove'].map((id) => ({ ...STORED, id, key: `${id}-key` }))
  for (const app of apps) store.set(app)
  const [rotate, settings, disabled, removed] = apps as [AppInput, AppInput, AppInput, AppInput]
  await t.test('secret', async (t) => { await rotateSecret(t, backend, [server], rotate) })
  await t.test('settings', async (t) => { await changeSettings(t, backend, [server], settings, await receiver(t)) })
  await t.test('disabled', async (t) => { await disable(t, backend, [server], disabled) })
  await t.test('deleted', async (t) => { await remove(t, backend, [server], removed) })
})

t.test('random keys: store calls stay within appCache.lookupsPerSecond, each answered 4001', async (t) => {
  const store = new FakeStore([STORED])
  const frozen = Date.now()
  // A clock that does not move: the budget of one second never refills, so the count is exact.
  const clock: Clock = { ...systemClock, now: () => frozen }
  const { server } = await withStore(t, store, { clock, appCache: { lookupsPerSecond: 20 } })
  const answers = await Promise.all(Array.from({ length: 100 }, async (_, i) => (await connect(server.wsUrl(`random-${i}`))).first))
  t.same(new Set(answers.map((frame) => (frame.json as { code: number }).code)), new Set([4001]))
  t.equal(store.calls, 20, 'a hundred random keys, twenty calls')
})

t.test('the synchronous authorization helpers need the app loaded on the node', async (t) => {
  const { server } = await withStore(t, new FakeStore([STORED]))
  t.throws(() => server.app.broadcastt.authorizeChannel(STORED.id, '1.2', 'private-x'),
    { code: 'FST_BROADCASTT_UNKNOWN_APP', message: /not loaded on this node/ })
  await open(t, server.wsUrl(STORED.key))
  t.match(server.app.broadcastt.authorizeChannel(STORED.id, '1.2', 'private-x'), { auth: /^stored-key:/ })
  await server.app.broadcastt.trigger({ appId: STORED.id, channels: ['c'], name: 'e', data: {} })
  await t.rejects(server.app.broadcastt.trigger({ appId: 'nope', channels: ['c'], name: 'e', data: {} }),
    { code: 'FST_BROADCASTT_UNKNOWN_APP' })
})

t.test('a failing store: degraded, cached apps served, misses 4001 / 404 with a log line, then resumes', async (t) => {
  const store = new FakeStore([STORED, { ...STORED, id: 'later', key: 'later-key' }])
  const log = captureLog()
  const server = await startServer(t, { appStore: store, health: true }, undefined, log.stream)
  await open(t, server.wsUrl(STORED.key))
  store.failing = true
  t.match((await connect(server.wsUrl('later-key'))).first.json, { code: 4001 }, 'a miss answers 4001')
  t.equal((await signed(server, 'GET', '/channels', { app: { ...STORED, id: 'later' } })).status, 404, 'and 404')
  const ready = await fetch(`http://127.0.0.1:${server.port}/ready`)
  t.same([ready.status, await ready.json()], [200, { status: 'degraded' }], '/ready says degraded')
  await open(t, server.wsUrl(STORED.key))
  t.equal((await signed(server, 'GET', '/channels', { app: STORED })).status, 200, 'the cached app keeps working')
  t.match(log.lines.filter((line) => line.level === 50).map((line) => line.msg), [/^app store: query failed/])
  store.failing = false
  await open(t, server.wsUrl('later-key'))
  t.equal(server.app.broadcastt.readiness(), 'ready', 'all resumes')
})

t.test('a store that never answers: a miss is refused once adapterTimeoutMs is over, not later', async (t) => {
  const store = new FakeStore([STORED])
  const { server } = await withStore(t, store, { adapterTimeoutMs: 200 })
  store.hold()
  // 200 ms promised; 3 s is generous on a loaded machine and still far below a hang.
  const { first } = await within(3000, connect(server.wsUrl(STORED.key)), 'refusal')
  t.match(first.json, { code: 4001 })
  const rest = await within(3000, signed(server, 'GET', '/channels', { app: STORED }), 'REST refusal')
  t.equal(rest.status, 404)
  store.release()
})

t.test('an app disabled while its connection quota is checked: the connection is refused 4003', async (t) => {
  const quota = { ...STORED, limits: { maxConnections: 5 } }
  const store = new FakeStore([quota])
  const adapter = new GatedAdapter()
  const { server, backend } = await withStore(t, store, { adapter })
  t.teardown(() => adapter.close())
  await open(t, server.wsUrl(quota.key))
  adapter.hold('addConnection')
  const counting = adapter.called('addConnection')
  const late = connect(server.wsUrl(quota.key))
  await counting
  await backend.put({ ...quota, enabled: false })
  adapter.release('addConnection')
  t.match((await late).first.json, { code: 4003 }, 'admitted before the change, refused after it')
  t.equal(server.app.broadcastt.readiness(), 'ready')
})

t.test('a plain HTTP request to an uncached key asks the store nothing', async (t) => {
  const store = new FakeStore([STORED])
  const { server } = await withStore(t, store)
  const response = await fetch(`http://127.0.0.1:${server.port}/app/${STORED.key}`)
  t.equal(response.status, 404)
  await response.arrayBuffer()
  t.equal(store.calls, 0, 'only WebSocket upgrades look keys up')
})
