/**
 * The app registry in front of a host's store: static and warm apps answered synchronously without a call,
 * one call for concurrent misses, unknown keys remembered within a bound, store calls capped per second,
 * stale apps served while one call reloads them, the cache bounded, bad and conflicting apps skipped with
 * one log line, and a failing store answered as unknown while cached apps keep working.
 */
import Fastify from 'fastify'
import t from 'tap'
import { hostSource, type App } from '../../src/apps/app-store.js'
import { AppRegistry } from '../../src/apps/registry.js'
import { APP_CACHE_DEFAULTS, type AppCacheOptions } from '../../src/apps/store-options.js'
import { resolveOptions } from '../../src/options.js'
import { captureLog, type CapturedLog } from '../helpers/log.js'
import { FakeStore } from './fake-store.js'

const STATIC = { id: 'static', key: 'static-key', secret: 's' }
const A = { id: 'a', key: 'ka', secret: 'sa' }
const B = { id: 'b', key: 'kb', secret: 'sb' }

interface Setup { registry: AppRegistry, store: FakeStore, clock: { ms: number }, log: CapturedLog, changes: Array<[string, App | undefined]> }

function setup (cache: Partial<AppCacheOptions> = {}, apps = [A, B]): Setup {
  const store = new FakeStore(apps)
  const clock = { ms: 1_000_000 }
  const log = captureLog()
  const registry = new AppRegistry({
    apps: resolveOptions({ apps: [STATIC] }).apps,
    source: hostSource(store),
    cache: { ...APP_CACHE_DEFAULTS, ...cache },
    timeoutMs: 1000,
    now: () => clock.ms,
    log: Fastify({ logger: { level: 'info', stream: log.stream } }).log
  })
  const changes: Array<[string, App | undefined]> = []
  registry.attach({ appConnectionCount: () => 0, appIds: () => [] }, (id, app) => { changes.push([id, app]) })
  return { registry, store, clock, log, changes }
}

const messages = (log: CapturedLog, level: number): string[] =>
  log.lines.filter((line) => line.level === level).map((line) => String(line.msg))

t.test('static and warm apps are answered synchronously, without a call', async (t) => {
  const { registry, store } = setup()
  t.equal(registry.peekKey('static-key')?.id, 'static')
  t.equal(registry.peekKey('ka'), undefined, 'a store app not loaded yet must be looked up')
  t.equal((await registry.byKey('ka'))?.secret, 'sa')
  t.equal(store.calls, 1)
  t.equal(registry.peekKey('ka')?.secret, 'sa', 'warm by key')
  t.equal(registry.peekId('a')?.key, 'ka', 'warm by id too: one entry')
  t.equal(store.calls, 1, 'no call once warm')
  t.equal(registry.queries, 1)
  const plain = new AppRegistry({
    apps: resolveOptions({ apps: [STATIC] }).apps, cache: APP_CACHE_DEFAULTS, timeoutMs: 1, now: () => 0, log: Fastify().log
  })
  t.equal(plain.peekKey('nope'), null, 'without a store an unknown key is known to be unknown')
  t.equal(await plain.byId('nope'), undefined)
  t.notOk(plain.dynamic)
})

t.test('concurrent misses of one key or id make one call', async (t) => {
  const { registry, store } = setup()
  store.hold()
  const known = Array.from({ length: 50 }, async () => await registry.byKey('ka'))
  const unknown = Array.from({ length: 50 }, async () => await registry.byId('nope'))
  t.equal(store.calls, 2, 'one call per key while held')
  store.release()
  t.same(new Set((await Promise.all(known)).map((app) => app?.id)), new Set(['a']))
  t.same(new Set(await Promise.all(unknown)), new Set([undefined]))
  t.equal(store.calls, 2)
})

t.test('unknown keys are remembered for unknownTtlMs, at most maxUnknown of them', async (t) => {
  const { registry, store, clock } = setup({ unknownTtlMs: 5000, maxUnknown: 3 })
  t.equal(await registry.byKey('nope'), undefined)
  t.equal(registry.peekKey('nope'), null, 'known to be unknown')
  t.equal(await registry.byKey('nope'), undefined)
  t.equal(store.calls, 1, 'asked once')
  clock.ms += 5001
  t.equal(registry.peekKey('nope'), undefined, 'forgotten after unknownTtlMs')
  await registry.byKey('nope')
  t.equal(store.calls, 2)
  for (let i = 0; i < 10; i++) await registry.byKey(`random-${i}`)
  t.equal(store.calls, 12)
  for (let i = 7; i < 10; i++) t.equal(registry.peekKey(`random-${i}`), null, `the last ${3} are remembered`)
  t.equal(registry.peekKey('random-0'), undefined, 'older ones are forgotten: the memory is bounded')
  t.equal(registry.peekKey('nope'), undefined)
  await registry.byKey('invalid key with spaces')
  t.equal(store.calls, 13, 'a key no app can have is asked too (the host may use any key)')
})

t.test('store calls for uncached keys are capped per second; over it they answer unknown, logged', async (t) => {
  const { registry, store, clock, log } = setup({ lookupsPerSecond: 5 })
  const answers = await Promise.all(Array.from({ length: 20 }, async (_, i) => await registry.byKey(`k${i}`)))
  t.equal(store.calls, 5, 'five calls in the first second')
  t.same(answers, Array(20).fill(undefined))
  t.equal(await registry.byKey('ka'), undefined, 'even a real key is refused while over the cap')
  clock.ms += 1000
  t.equal((await registry.byKey('ka'))?.id, 'a', 'the budget refills')
  t.equal(store.calls, 6)
  clock.ms += 10_000
  await registry.byKey('one-more')
  for (let i = 0; i < 10; i++) await registry.byKey(`again-${i}`)
  t.match(messages(log, 40).join('\n'), /refused \(over appCache\.lookupsPerSecond\)/, 'a warn line counts the refusals')
  t.ok(messages(log, 40).length <= 2, 'not one line per refusal')
})

t.test('a stale app is served while one call reloads it; a change is applied', async (t) => {
  const { registry, store, clock, changes } = setup({ ttlMs: 1000 })
  await registry.byKey('ka')
  store.set({ ...A, secret: 'rotated' })
  clock.ms += 1001
  store.hold()
  t.equal(registry.peekKey('ka')?.secret, 'sa', 'the stale app is answered at once')
  t.equal(registry.peekId('a')?.secret, 'sa')
  t.equal(store.calls, 2, 'one background reload')
  store.release()
  await registry.settled('a')
  t.equal(registry.peekKey('ka')?.secret, 'rotated')
  t.same(changes.map(([id, app]) => [id, app?.secret]), [['a', 'rotated']], 'the new version is applied to connections')
  t.equal(store.calls, 2)
})

t.test('at most maxApps apps are cached: the least recently loaded leaves first', async (t) => {
  const { registry, store } = setup({ maxApps: 2 }, [A, B, { id: 'c', key: 'kc', secret: 'sc' }])
  for (const key of ['ka', 'kb', 'kc']) await registry.byKey(key)
  t.equal(registry.cached, 2)
  t.equal(registry.peekKey('ka'), undefined, 'the first one was evicted')
  t.equal(registry.peekId('a'), undefined)
  t.equal(registry.peekKey('kc')?.id, 'c')
  t.equal(store.calls, 3)
})

t.test('a bad or conflicting app is skipped with one log line naming its id and the path', async (t) => {
  const { registry, store, clock, log } = setup({ unknownTtlMs: 100 })
  store.set({ id: 'bad', key: 'kbad', secret: 's', limits: { maxConnections: -1 } })
  store.set({ id: 'static', key: 'other-key', secret: 's' })
  store.set({ id: 'liar', key: 'kliar', secret: 's' })
  store.byKey = async (key) => key === 'asked' ? { id: 'liar', key: 'kliar', secret: 's' } : await FakeStore.prototype.byKey.call(store, key)
  t.equal(await registry.byKey('kbad'), undefined)
  clock.ms += 200
  t.equal(await registry.byKey('kbad'), undefined)
  t.equal(await registry.byKey('other-key'), undefined, 'a static app has its id: static wins')
  t.equal(await registry.byKey('asked'), undefined, 'an answer for another key is not served')
  const errors = messages(log, 50)
  t.same(errors, [
    'app store: app bad skipped: limits.maxConnections: Expected integer to be greater or equal to 0',
    'app store: app static skipped: a static app has its id or key (static apps win)',
    'app store: app liar skipped: key: the store answered for key "asked" with "kliar"'
  ], 'one line each, the second lookup of the bad app logged nothing')
  t.same(log.lines.filter((line) => line.level === 50).map((line) => line.appId), ['bad', 'static', 'liar'])
})

t.test('a failing store: cached apps keep working, others answer unknown, then it resumes', async (t) => {
  const { registry, store, log } = setup()
  await registry.byKey('ka')
  store.failing = true
  t.equal(await registry.byKey('kb'), undefined, 'a miss answers unknown')
  t.notOk(registry.available(), 'degraded')
  t.equal(registry.peekKey('ka')?.id, 'a', 'the cached app is still served')
  t.equal(await registry.byKey('kb'), undefined)
  t.equal(registry.peekKey('kb'), undefined, 'a failure is not remembered as unknown')
  t.equal(messages(log, 50).length, 1, 'one error line for the outage')
  store.failing = false
  t.equal((await registry.byKey('kb'))?.id, 'b')
  t.ok(registry.available())
  t.match(messages(log, 30), ['app store: answering again'])
})

t.test('changed(): a cached app is reloaded and applied, a deleted one is gone; others cost nothing', async (t) => {
  const { registry, store, changes } = setup()
  await registry.byKey('ka')
  await registry.byKey('nope')
  store.set({ ...A, enabled: false })
  await registry.changed('a')
  t.equal(registry.peekKey('ka')?.enabled, false)
  t.equal(registry.peekKey('nope'), undefined, 'unknown keys are forgotten: a new app may have one')
  store.apps.delete('a')
  await registry.changed('a')
  t.equal(registry.peekKey('ka'), undefined)
  t.equal(registry.peekId('a'), null, 'remembered as unknown')
  t.same(changes.map(([id, app]) => [id, app?.enabled]), [['a', false], ['a', undefined]])
  const calls = store.calls
  await registry.changed('b')
  await registry.changed('static')
  t.equal(store.calls, calls, 'an app this node neither caches nor serves is not reloaded')
})

t.test('a lookup that started before a change asks again', async (t) => {
  const { registry, store } = setup()
  store.hold()
  const loading = registry.byKey('ka')
  store.set({ ...A, secret: 'new' })
  const change = registry.changed('a')
  store.release()
  await change
  store.release()
  t.equal((await loading)?.secret, 'new', 'not the answer read before the change')
  t.equal(registry.peekKey('ka')?.secret, 'new')
})

t.test('list(): static apps, then the store\'s', async (t) => {
  const { registry } = setup()
  t.same((await registry.list()).map((app) => app.id), ['static', 'a', 'b'])
})

t.test('a key that moves to another app: the old holder\'s entry is dropped', async (t) => {
  const { registry, store } = setup()
  await registry.byKey('ka')
  store.apps.delete('a')
  store.set({ id: 'a2', key: 'ka', secret: 'new-owner' })
  clearUnknown(registry)
  t.equal(registry.peekKey('ka')?.id, 'a', 'cached before the move')
  await registry.changed('a')
  t.equal(registry.peekKey('ka'), undefined)
  t.equal((await registry.byKey('ka'))?.id, 'a2')
  t.equal(registry.peekId('a'), null)
})

t.test('a reload that fails keeps the app (stale) and says so; reloadAll rejects', async (t) => {
  const { registry, store, changes, clock } = setup()
  await registry.byKey('ka')
  store.failing = true
  await registry.changed('a')
  t.equal(registry.peekKey('ka')?.id, 'a', 'still served (and one reload tried behind it)')
  await registry.settled('a')
  t.same(changes, [], 'nothing applied')
  await t.rejects(registry.reloadAll(), /the reload failed/)
  store.failing = false
  store.set({ ...A, secret: 'fresh' })
  t.equal(registry.peekKey('ka')?.secret, 'sa', 'no second try within the TTL')
  clock.ms += APP_CACHE_DEFAULTS.ttlMs + 1
  t.equal(registry.peekKey('ka')?.secret, 'sa', 'served stale once more, and reloaded behind it')
  await registry.settled('a')
  t.equal(registry.peekKey('ka')?.secret, 'fresh')
  await registry.reloadAll()
  t.equal(changes.length, 2, 'reloadAll applies every cached app')
})

t.test('one log line per bad record, within a bounded memory of them', async (t) => {
  const { registry, store, log, clock } = setup({ maxUnknown: 2, unknownTtlMs: 1 })
  for (const id of ['x1', 'x2', 'x3']) store.set({ id, key: `k${id}`, secret: 's', dialects: [] })
  for (const key of ['kx1', 'kx2', 'kx3']) {
    await registry.byKey(key)
    clock.ms += 2
  }
  await registry.byKey('kx3')
  t.equal(messages(log, 50).length, 3, 'the third one was remembered after the first two were forgotten')
})

/** Forgets remembered unknown keys as a change notice does (any id: nothing cached under it). */
function clearUnknown (registry: AppRegistry): void {
  void registry.changed('nothing-cached-under-this-id')
}
