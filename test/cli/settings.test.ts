/**
 * The standalone server's settings: --help lists every one with its variable and default, flags beat the
 * environment which beats the config file, and a bad value names its flag or variable (exit.test.ts: the
 * process).
 */
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load.js'
import { SETTINGS } from '../../src/config/settings.js'
import { LIMIT_DEFAULTS } from '../../src/options.js'
import { runToEnd } from './process.js'

t.test('--help lists every setting with its environment variable and default', async (t) => {
  const help = await runToEnd(['--help'])
  t.equal(help.code, 0)
  for (const s of SETTINGS) {
    const line = help.stdout.split('\n').find((l) => l.includes(` ${s.env} `))
    t.ok(line, `${s.env} is listed`)
    if (s.fallback !== '') t.match(line, `(default ${s.fallback})`, `${s.env} shows its default`)
    if (s.flag !== undefined) t.match(line, `--${s.flag}`, `${s.env} shows its flag`)
  }
  for (const name of Object.keys(LIMIT_DEFAULTS)) t.match(help.stdout, `limits.${name} of every app`)
  t.match(help.stdout, /--pretty/)
})

t.test('flags beat the environment, which beats the config file; limits apply to every app', async (t) => {
  const dir = t.testdir({
    'apps.json': JSON.stringify({
      activityTimeout: 30,
      metrics: { appLabels: 3 },
      apps: [{ id: 'a', key: 'ka', secret: 'sa', limits: { maxConnections: 5 } }, { id: 'b', key: 'kb', secret: 'sb' }]
    })
  })
  const env = {
    BROADCASTT_CONFIG: join(dir, 'apps.json'),
    PORT: '7000',
    BROADCASTT_ACTIVITY_TIMEOUT: '45',
    BROADCASTT_LIMIT_MAX_CONNECTIONS: '9',
    BROADCASTT_LIMIT_READ_REQUESTS_PER_SECOND: '20',
    BROADCASTT_MAX_CONNECTIONS_PER_IP: '50',
    BROADCASTT_DRAIN_WINDOW_MS: '1000',
    LOG_LEVEL: 'debug',
    BROADCASTT_TRUST_PROXY: 'true'
  }
  const config = loadConfig(['--port', '7001', '--metrics-port', '9100', '--pretty'], env)
  t.equal(config.port, 7001, 'the flag wins over PORT')
  t.equal(config.options.activityTimeout, 45, 'the environment wins over the file')
  t.same(config.options.apps.map((a) => a.limits.maxConnections), [9, 9])
  t.same(config.options.apps.map((a) => a.limits.readRequestsPerSecond), [20, 20])
  t.equal(config.options.maxConnectionsPerIp, 50)
  t.same(config.options.shutdown, { drainWindowMs: 1000, graceMs: 2000 })
  t.match(config, { metricsPort: 9100, logLevel: 'debug', logFormat: 'pretty', trustProxy: true, host: '127.0.0.1' })
  t.match(config.options, { health: true, metrics: { enabled: true, appLabels: 3 } }, 'metrics and health on by default')
  t.equal(loadConfig([], { BROADCASTT_METRICS: 'off' }).options.metrics.enabled, false)
  t.equal(loadConfig([], { LOG_FORMAT: 'pretty' }).logFormat, 'pretty')
  const envApp = loadConfig([], { ...env, BROADCASTT_APP_ID: 'e', BROADCASTT_APP_KEY: 'ke', BROADCASTT_APP_SECRET: 'se' })
  t.same(envApp.options.apps.map((a) => a.id), ['e'], 'the environment app replaces the file\'s apps')
  t.match(loadConfig([], { BROADCASTT_REDIS_URL: 'redis://127.0.0.1:6379/2' }).options.adapter,
    { type: 'redis', url: 'redis://127.0.0.1:6379/2' }, 'BROADCASTT_REDIS_URL selects the Redis adapter')
  t.equal(loadConfig([], {}).options.adapter, undefined, 'the memory adapter otherwise')
  const database = loadConfig(['--database-url', 'postgres://broadcastt@db:5432/realtime'], {})
  t.same(database.options.appStore, { type: 'postgres', url: 'postgres://broadcastt@db:5432/realtime', table: 'broadcastt_apps', poolSize: 4 },
    '--database-url reads the apps of a PostgreSQL table')
  t.same([database.options.apps, database.development], [[], false], 'and serves no development app')
  const withFile = loadConfig([], { BROADCASTT_CONFIG: join(dir, 'apps.json'), BROADCASTT_DATABASE_URL: 'postgresql://db/x' })
  t.same([withFile.options.apps.length, withFile.options.appStore?.url], [2, 'postgresql://db/x'], 'static apps and the table together')
})

t.test('a bad value names its flag or variable', async (t) => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [[], { PORT: 'eighty' }, /^PORT: expected 0-65535, got "eighty"$/],
    [['--port', '70000'], {}, /^--port: expected 0-65535/],
    [[], { BROADCASTT_METRICS: 'maybe' }, /^BROADCASTT_METRICS: expected true or false/],
    [[], { LOG_LEVEL: 'loud' }, /^LOG_LEVEL: expected fatal, error/],
    [[], { LOG_FORMAT: 'xml' }, /^LOG_FORMAT: expected json or pretty/],
    [[], { BROADCASTT_LIMIT_EVENT_DATA_BYTES: '-1' }, /^BROADCASTT_LIMIT_EVENT_DATA_BYTES: expected a whole number/],
    [[], { BROADCASTT_ACTIVITY_TIMEOUT: '0' }, /^BROADCASTT_ACTIVITY_TIMEOUT: activityTimeout: /],
    [[], { BROADCASTT_REDIS_URL: 'localhost:6379' }, /^BROADCASTT_REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/],
    [[], { BROADCASTT_DATABASE_URL: 'mysql://db' }, /^BROADCASTT_DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL/],
    [['--nope'], {}, /Unknown option '--nope'/]
  ]
  for (const [argv, env, message] of cases) t.throws(() => loadConfig(argv, env), { name: 'ConfigError', message }, message.source)
})
