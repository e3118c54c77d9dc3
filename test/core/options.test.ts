import t from 'tap'
import Fastify from 'fastify'
import broadcastt from '../../src/index.js'
import { LIMIT_DEFAULTS, resolveOptions } from '../../src/options.js'
import { open } from '../helpers/ws-client.js'

t.test('defaults fill every field', async (t) => {
  const options = resolveOptions({ apps: [{ id: 'a', key: 'k', secret: 's' }] })
  t.match(options, { prefix: '', activityTimeout: 120, pongTimeout: 30, maxConnections: 0 })
  t.match(options.apps[0], { enabled: true, clientEvents: false, dialects: ['broadcastt', 'pusher'] })
  t.same(options.apps[0]?.limits, LIMIT_DEFAULTS)
  const partial = resolveOptions({ apps: [{ id: 'a', key: 'k', secret: 's', limits: { eventDataBytes: 5 } }] })
  t.equal(partial.apps[0]?.limits.eventDataBytes, 5)
  t.equal(partial.apps[0]?.limits.channelsPerTrigger, LIMIT_DEFAULTS.channelsPerTrigger, 'other limits keep their defaults')
})

t.test('register rejects bad options with one coded error naming the path', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [{}, /^options\.apps: required$/],
    [{ apps: [{ id: 'a', key: 'k', secret: 1 }] }, /^options\.apps\[0\]\.secret: Expected string$/],
    [{ apps: [{ id: 'a', key: 'k' }] }, /^options\.apps\[0\]\.secret: required$/],
    [{ apps: [{ id: 'a', key: 'k', secret: 's', dialects: ['mqtt'] }] }, /^options\.apps\[0\]\.dialects\[0\]/],
    [{ apps: [{ id: 'a', key: 'k', secret: 's', limits: { nameLength: -1 } }] }, /^options\.apps\[0\]\.limits\.nameLength/],
    [{ apps: [], activityTimeout: 0 }, /^options\.activityTimeout/],
    [{ apps: [], prefix: 'no-slash' }, /^options\.prefix/],
    [{ apps: [], unknown: true }, /^options/],
    [{ apps: [{ id: 'a', key: 'k', secret: 's' }, { id: 'a', key: 'k2', secret: 's' }] }, /^options\.apps\[1\]\.id: duplicate "a"$/],
    [{ apps: [{ id: 'a', key: 'k', secret: 's' }, { id: 'b', key: 'k', secret: 's' }] }, /^options\.apps\[1\]\.key: duplicate "k"$/]
  ]
  for (const [options, message] of cases) {
    const app = Fastify()
    // @ts-expect-error: deliberately wrong options
    const error = await app.register(broadcastt, options).ready().then(() => undefined, (err: Error) => err)
    t.match(error, { code: 'FST_BROADCASTT_INVALID_OPTIONS', message }, JSON.stringify(options))
    await app.close()
  }
})

t.test('functions and other non-data values in options name their path (issue #7, defect 12)', async (t) => {
  const APP = { id: 'a', key: 'k', secret: 's' }
  const cyclic: Record<string, unknown> = { ...APP }
  cyclic.self = cyclic
  const cases: Array<[unknown, RegExp]> = [
    [{ apps: [APP], authorise: () => {} }, /^options\.authorise: Unexpected function \(callbacks are accepted only as clock, adapter, authorize, appStore\)$/],
    [{ apps: [{ ...APP, foo: () => {} }] }, /^options\.apps\[0\]\.foo: Unexpected function/],
    [{ apps: [{ ...APP, limits: { frameBytes: () => 1 } }] }, /^options\.apps\[0\]\.limits\.frameBytes: Unexpected function/],
    [{ apps: [APP, { ...APP, id: 'b', key: 'k2', dialects: ['pusher', Symbol('x')] }] }, /^options\.apps\[1\]\.dialects\[1\]: Unexpected symbol$/],
    [{ apps: [APP], rest: { bodyLimit: 10n } }, /^options\.rest\.bodyLimit: Unexpected bigint$/],
    [{ apps: [cyclic] }, /^options\.apps\[0\]\.self: Unexpected circular reference$/],
    [{ apps: [APP], onRequest: async () => {} }, /^options\.onRequest: Unexpected function/]
  ]
  for (const [options, message] of cases) {
    const app = Fastify()
    // @ts-expect-error: deliberately wrong options
    const error = await app.register(broadcastt, options).ready().then(() => undefined, (err: Error) => err)
    t.match(error, { code: 'FST_BROADCASTT_INVALID_OPTIONS', message }, message.source)
    await app.close()
  }
  t.throws(() => resolveOptions({ apps: [{ ...APP, hook: () => {} }] }, ''), { message: /^apps\[0\]\.hook: Unexpected function/ },
    'a config file\'s paths have no root name')
  const shared = { frameBytes: 2048 }
  t.doesNotThrow(() => resolveOptions({ apps: [{ ...APP, limits: shared }, { id: 'b', key: 'k2', secret: 's', limits: shared }] }),
    'the same object twice is not a cycle')
  t.doesNotThrow(() => resolveOptions({ apps: [APP], clock: { now: () => 0 }, adapter: { attach: () => {}, close: () => {} } }),
    'clock and adapter are the host\'s own objects')
})

t.test('a host-registered @fastify/websocket must not accept larger frames than the apps (issue #7, defect 7)', async (t) => {
  const { default: websocket } = await import('@fastify/websocket')
  const apps = [{ id: 'a', key: 'k', secret: 's', limits: { frameBytes: 64 * 1024 } }, { id: 'b', key: 'k2', secret: 's' }]
  for (const [maxPayload, message] of [
    [undefined, /maxPayload 104857600 bytes; fastify-broadcastt needs at most 65536.*maxPayload: 65536/],
    [64 * 1024 + 1, /maxPayload 65537 bytes/],
    [0, /maxPayload unlimited bytes/]
  ] as const) {
    const app = Fastify()
    await app.register(websocket, maxPayload === undefined ? {} : { options: { maxPayload } })
    const error = await app.register(broadcastt, { apps }).ready().then(() => undefined, (err: Error) => err)
    t.match(error, { code: 'FST_BROADCASTT_WS_MAX_PAYLOAD', message }, `maxPayload ${String(maxPayload)}`)
    await app.close()
  }
  const app = Fastify()
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  await app.register(broadcastt, { apps })
  await app.ready()
  t.pass('a maxPayload within the largest frameBytes is accepted')
  await app.close()
})

t.test('a host that registered @fastify/websocket itself keeps it', async (t) => {
  const { default: websocket } = await import('@fastify/websocket')
  const app = Fastify()
  await app.register(websocket, { options: { perMessageDeflate: true, maxPayload: 12 * 1024 } })
  const own = app.websocketServer
  await app.register(broadcastt, { apps: [{ id: 'a', key: 'k', secret: 's' }] })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  t.equal(app.websocketServer, own)
  const { port } = app.server.address() as import('node:net').AddressInfo
  // The host's server compresses: events then go through ws's sender rather than as prepared frames.
  const client = await open(t, `ws://127.0.0.1:${port}/app/k?protocol=7`, { perMessageDeflate: true })
  t.match(client.ws.extensions, /permessage-deflate/)
  t.equal((await client.subscribe('works')).event, 'pusher_internal:subscription_succeeded')
  for (let i = 0; i < 3; i++) {
    await app.broadcastt.trigger({ appId: 'a', channels: ['works'], name: 'e', data: { i, pad: 'z'.repeat(2000) } })
  }
  const got = [await client.next('e'), await client.next('e'), await client.next('e')]
  t.same(got.map((f) => (f.json as { i: number }).i), [0, 1, 2], 'compressed events arrive whole and in order')
})
