/**
 * A soketi user's settings work unchanged: SOKETI_* variables (mapped to ours, ours winning), a soketi config
 * file (dotted or nested keys, soketi's app and webhook field names), and the production guard that refuses
 * to serve the public development app. docs/migrating.md lists every soketi variable the server knows.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load.js'
import { SOKETI_VARIABLES } from '../../src/config/soketi.js'
import { startStandalone } from '../../src/cli/server.js'
import { connect } from '../helpers/ws-client.js'
import { runToEnd, startProcess } from './process.js'

const SOKETI_APP = { SOKETI_DEFAULT_APP_ID: 'sk-id', SOKETI_DEFAULT_APP_KEY: 'sk-key', SOKETI_DEFAULT_APP_SECRET: 'sk-secret-value' }

t.test('SOKETI_* variables map to ours', async (t) => {
  const config = loadConfig([], {
    ...SOKETI_APP,
    SOKETI_PORT: '7002',
    SOKETI_DEBUG: '1',
    SOKETI_PATH_PREFIX: '/sk',
    SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES: 'true',
    SOKETI_DEFAULT_APP_MAX_CONNS: '-1',
    SOKETI_DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SEC: '50',
    SOKETI_DEFAULT_APP_MAX_PRESENCE_MEMBER_SIZE_IN_KB: '2',
    SOKETI_ADAPTER_DRIVER: 'redis',
    SOKETI_DB_REDIS_HOST: 'redis.internal',
    SOKETI_DB_REDIS_PORT: '6380',
    SOKETI_DB_REDIS_PASSWORD: 'p@ss',
    SOKETI_METRICS_SERVER_PORT: '9601'
  })
  t.match(config, { port: 7002, logLevel: 'debug', metricsPort: 9601, development: false, notices: [] })
  t.equal(config.options.prefix, '/sk')
  t.match(config.options.apps, [{ id: 'sk-id', key: 'sk-key', secret: 'sk-secret-value', clientEvents: true }])
  t.match(config.options.apps[0]?.limits, { maxConnections: 0, clientEventsPerSecond: 50, presenceMemberBytes: 2048 })
  t.match(config.options.adapter, { type: 'redis', url: 'redis://:p%40ss@redis.internal:6380/0' })

  const ours = loadConfig([], { ...SOKETI_APP, SOKETI_PORT: '7002', PORT: '7003', BROADCASTT_APP_ID: 'mine', BROADCASTT_APP_KEY: 'k', BROADCASTT_APP_SECRET: 's' })
  t.equal(ours.port, 7003, 'our variable wins over the soketi one')
  t.equal(ours.options.apps[0]?.id, 'mine')
  t.equal(loadConfig(['--port', '7004'], { SOKETI_PORT: '7002' }).port, 7004, 'and a flag over both')

  const ignored = loadConfig([], { ...SOKETI_APP, SOKETI_QUEUE_DRIVER: 'redis', SOKETI_METRICS_PREFIX: 'x' })
  t.same(ignored.notices.map((n) => n.split(':')[0]).sort(), ['SOKETI_METRICS_PREFIX', 'SOKETI_QUEUE_DRIVER'], 'unsupported ones are named, not applied')
  t.throws(() => loadConfig([], { ...SOKETI_APP, SOKETI_PORT: 'eighty' }), /^SOKETI_PORT: expected 0-65535, got "eighty"$/, 'an error names the soketi variable')
  t.throws(() => loadConfig([], { ...SOKETI_APP, SOKETI_DEFAULT_APP_MAX_CONNS: 'x' }), /^SOKETI_DEFAULT_APP_MAX_CONNS: expected a whole number/)
  t.throws(() => loadConfig([], { SOKETI_DEFAULT_APP_ID: 'only' }), /BROADCASTT_APP_KEY, BROADCASTT_APP_SECRET: required when any BROADCASTT_APP_\* \(or SOKETI_DEFAULT_APP_\*\) is set/)
  t.throws(() => loadConfig([], { ...SOKETI_APP, SOKETI_ADAPTER_DRIVER: 'nats' }), /SOKETI_ADAPTER_DRIVER: "nats" is not supported/)
  t.throws(() => loadConfig([], { ...SOKETI_APP, SOKETI_APP_MANAGER_DRIVER: 'mysql' }), /SOKETI_APP_MANAGER_DRIVER: "mysql" is not supported/)
})

t.test('a soketi config file is converted on load', async (t) => {
  const apps = [{
    id: 'one',
    key: 'one-key',
    secret: 'one-secret',
    maxConnections: -1,
    enableClientMessages: true,
    enabled: true,
    maxBackendEventsPerSecond: 100,
    maxClientEventsPerSecond: -1,
    maxReadRequestsPerSecond: 20,
    maxEventPayloadInKb: 20,
    webhooks: [{
      url: 'https://hooks.example.com/pusher',
      event_types: ['channel_occupied', 'member_added'],
      headers: { 'X-Token': 'abc' },
      filter: { channel_name_starts_with: 'presence-' }
    }]
  }, { id: 2, key: 'two-key', secret: 'two-secret', enabled: false }]
  const dir = t.testdir({
    'dotted.json': JSON.stringify({ debug: true, port: 6010, 'appManager.array.apps': apps, 'metrics.enabled': false, 'database.redis.host': 'x' }),
    'nested.json': JSON.stringify({ port: 6011, appManager: { array: { apps } }, pathPrefix: '/ws', presence: { maxMembersPerChannel: 5 } }),
    'bad-number.json': JSON.stringify({ 'appManager.array.apps': [{ id: 'a', key: 'k', secret: 's', maxConnections: 'many' }] }),
    'bad-port.json': JSON.stringify({ port: 'eighty', 'appManager.array.apps': apps }),
    'lambda.json': JSON.stringify({ 'appManager.array.apps': [{ id: 'a', key: 'k', secret: 's', webhooks: [{ lambda_function: 'f', event_types: ['channel_occupied'] }] }] })
  })
  const dotted = loadConfig(['--config', join(dir, 'dotted.json')], {})
  t.match(dotted, { port: 6010, logLevel: 'debug', development: false })
  t.equal(dotted.options.metrics.enabled, false)
  t.same(dotted.options.apps.map((a) => [a.id, a.enabled, a.clientEvents]), [['one', true, true], ['2', false, false]])
  t.match(dotted.options.apps[0]?.limits, { maxConnections: 0, backendEventsPerSecond: 100, clientEventsPerSecond: 0, readRequestsPerSecond: 20, eventDataBytes: 20480 })
  t.same(dotted.options.apps[0]?.webhooks, [{
    url: 'https://hooks.example.com/pusher',
    eventTypes: ['channel_occupied', 'member_added'],
    headers: { 'X-Token': 'abc' },
    filter: { channelNameStartsWith: 'presence-' }
  }])
  t.same(dotted.notices, [`${join(dir, 'dotted.json')}: database.redis.host: no equivalent here, ignored (docs/migrating.md)`])
  const nested = loadConfig(['--config', join(dir, 'nested.json')], { PORT: '6012' })
  t.equal(nested.port, 6012, 'the environment beats the file')
  t.equal(nested.options.prefix, '/ws')
  t.same(nested.options.apps.map((a) => a.key), ['one-key', 'two-key'])
  const example = loadConfig(['--config', new URL('../../examples/config/soketi.json', import.meta.url).pathname], {})
  t.match(example.options.apps, [{ id: 'my-app', clientEvents: true, webhooks: [{ eventTypes: ['channel_occupied', 'channel_vacated'] }] }],
    'examples/config/soketi.json, as docs/migrating.md shows it')
  t.same(example.notices, [])
  t.throws(() => loadConfig(['--config', join(dir, 'bad-number.json')], {}), /soketi format\): appManager\.array\.apps\.0\.maxConnections: expected a number/)
  t.throws(() => loadConfig(['--config', join(dir, 'bad-port.json')], {}), /bad-port\.json: port: expected 0-65535, got "eighty"/, 'an error names the key of the file')
  t.equal(loadConfig(['--config', join(dir, 'bad-port.json')], { PORT: '7000' }).port, 7000, 'unless the environment sets it')
  t.throws(() => loadConfig(['--config', join(dir, 'lambda.json')], {}), /soketi format\): appManager\.array\.apps\.0\.webhooks\.0: AWS Lambda webhooks are not supported/)

  // The converted apps are served.
  const server = await startStandalone({ ...nested, port: 0, logLevel: 'silent' })
  t.teardown(() => server.close())
  const { client, first } = await connect(`${server.url.replace(/^http/, 'ws')}/ws/app/one-key?protocol=7`)
  t.equal(first.event, 'pusher:connection_established')
  client.ws.terminate()
})

t.test('NODE_ENV=production without an app refuses to start; with one it starts without printing the secret', async (t) => {
  const refused = await runToEnd([], { NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0' })
  t.equal(refused.code, 1)
  t.match(refused.stderr, /NODE_ENV=production and no app configured: refusing to serve the public development app/)
  t.notMatch(refused.stdout + refused.stderr, /app-secret/)
  const server = await startProcess(t, [], { NODE_ENV: 'production', ...SOKETI_APP, SOKETI_DEBUG: '0' })
  t.match(server.stdout(), /app sk-id: WebSocket ws:\/\/127\.0\.0\.1:\d+\/app\/sk-key/)
  t.notMatch(server.stdout() + server.stderr(), /sk-secret-value/, 'the secret is never printed')
  const root = await fetch(`${server.url}/`)
  t.equal(root.status, 200)
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
})

t.test('docs/migrating.md lists every soketi variable', async (t) => {
  const doc = readFileSync(new URL('../../docs/migrating.md', import.meta.url), 'utf8')
  for (const v of SOKETI_VARIABLES) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${v.soketi}\` |`))
    t.ok(row, `${v.soketi} has a row`)
    if (v.ours !== undefined) t.match(row, `\`${v.ours}\``, `${v.soketi} → ${v.ours}`)
    else t.match(row, /not supported|redis|array/i, `${v.soketi} says what happens`)
  }
})
