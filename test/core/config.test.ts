import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { DEVELOPMENT_APP, loadConfig } from '../../src/config/load.js'
import { LOADER_ARGS } from '../loader/args.js'

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

t.test('no configuration serves the development app on 127.0.0.1:6001', async (t) => {
  const config = loadConfig([], {})
  t.equal(config.development, true)
  t.equal(config.port, 6001)
  t.equal(config.host, '127.0.0.1')
  t.match(config.options.apps, [{ id: 'app-id', key: 'app-key', secret: 'app-secret', clientEvents: true }])
  t.same(config.options.apps.map((app) => [app.id, app.key, app.secret]), [[DEVELOPMENT_APP.id, DEVELOPMENT_APP.key, DEVELOPMENT_APP.secret]],
    'the development app is the one the README documents')
})

t.test('PORT, HOST and one app from the environment', async (t) => {
  const config = loadConfig([], {
    PORT: '7000', HOST: '0.0.0.0', BROADCASTT_APP_ID: '1', BROADCASTT_APP_KEY: 'k', BROADCASTT_APP_SECRET: 's'
  })
  t.match(config, { port: 7000, host: '0.0.0.0', development: false, options: { apps: [{ id: '1', key: 'k', secret: 's' }] } })
  t.throws(() => loadConfig([], { BROADCASTT_APP_ID: '1' }), /BROADCASTT_APP_KEY, BROADCASTT_APP_SECRET: required/)
  t.throws(() => loadConfig([], { PORT: 'eighty' }), /PORT: expected 0-65535/)
})

t.test('a JSON config file, from --config or BROADCASTT_CONFIG', async (t) => {
  const dir = t.testdir({
    'apps.json': JSON.stringify({ activityTimeout: 30, apps: [{ id: 'a', key: 'ka', secret: 'sa' }, { id: 'b', key: 'kb', secret: 'sb' }] }),
    'bad.json': JSON.stringify({ apps: [{ id: 'a', key: 'ka', secret: 'sa' }, { id: 'b', key: 'kb' }] }),
    'typo.json': JSON.stringify({ apps: [{ id: 'a', key: 'ka', secret: 'sa', limits: { eventDataByte: 1 } }] }),
    'dupe.json': JSON.stringify({ apps: [{ id: 'a', key: 'ka', secret: 'sa' }, { id: 'a', key: 'kb', secret: 'sb' }] }),
    'empty.json': JSON.stringify({ apps: [] }),
    'broken.json': '{"apps": ['
  })
  const file = (name: string) => join(dir, name)
  const config = loadConfig(['--config', file('apps.json')], {})
  t.equal(config.options.activityTimeout, 30)
  t.same(config.options.apps.map((app) => app.id), ['a', 'b'])
  t.equal(config.options.apps[0]?.limits.eventDataBytes, 10 * 1024, 'limits get their defaults')
  t.same(loadConfig([], { BROADCASTT_CONFIG: file('apps.json') }).options.apps.length, 2)
  const errors: Array<[string, RegExp]> = [
    ['bad.json', /bad\.json: apps\[1\]\.secret: required$/],
    ['typo.json', /apps\[0\]\.limits/],
    ['dupe.json', /apps\[1\]\.id: duplicate "a"/],
    ['empty.json', /at least one app/],
    ['broken.json', /not valid JSON/],
    ['missing.json', /cannot be read \(ENOENT\)/]
  ]
  for (const [name, message] of errors) {
    t.throws(() => loadConfig(['--config', file(name)], {}), message, name)
    t.throws(() => loadConfig(['--config', file(name)], {}), { name: 'ConfigError' })
  }
  t.throws(() => loadConfig(['--nope'], {}), { name: 'ConfigError' }, 'unknown flags are refused')
})

interface Run { code: number | null, stdout: string, stderr: string }

function run (args: string[], env: Record<string, string>, until?: (stdout: string) => boolean): Promise<Run & { kill: () => void }> {
  const child = spawn(process.execPath, [...LOADER_ARGS, MAIN, ...args], {
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  return new Promise((resolve) => {
    const done = (code: number | null) => { resolve({ code, stdout, stderr, kill: () => child.kill('SIGTERM') }) }
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (until?.(stdout) === true) done(null)
    })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('exit', (code) => { done(code) })
  })
}

t.test('the standalone server prints its URL and the development credentials, and serves them', async (t) => {
  const started = await run([], { PORT: '0' }, (out) => out.includes('WARNING'))
  t.teardown(started.kill)
  t.match(started.stdout, /WebSocket ws:\/\/127\.0\.0\.1:\d+\/app\/app-key/)
  t.match(started.stdout, /id=app-id key=app-key secret=app-secret/)
  t.match(started.stdout, /development credentials/)
  const url = /WebSocket (\S+)/.exec(started.stdout)?.[1] ?? ''
  const ws = new WebSocket(url + '?protocol=7')
  const first = await new Promise<string>((resolve) => ws.once('message', (m) => { resolve(m.toString()) }))
  t.match(first, /pusher:connection_established/)
  ws.close()
})

t.test('a config with errors stops start-up with one message and exit code 1', async (t) => {
  const dir = t.testdir({ 'apps.json': JSON.stringify({ apps: [{ id: 'a', key: 'k', secret: 's' }, { id: 'b', key: 'k2' }] }) })
  const result = await run(['--config', join(dir, 'apps.json')], { PORT: '0' })
  t.equal(result.code, 1)
  t.equal(result.stdout, '')
  t.match(result.stderr, /^broadcastt-server: invalid configuration: .*apps\.json: apps\[1\]\.secret: required\n$/)
})

t.test('the standalone server serves every app of a config file', async (t) => {
  const dir = t.testdir({
    'apps.json': JSON.stringify({ apps: [{ id: 'a', key: 'ka', secret: 'sa' }, { id: 'b', key: 'kb', secret: 'sb' }] })
  })
  const started = await run(['--config', join(dir, 'apps.json')], { PORT: '0' }, (out) => out.includes('app b'))
  t.teardown(started.kill)
  t.notMatch(started.stdout, /WARNING/, 'no development warning with a config file')
  t.match(started.stdout, /app a: WebSocket \S+\/app\/ka/)
  t.match(started.stdout, /app b: WebSocket \S+\/app\/kb/)
})
