/**
 * The standalone server faces anonymous browsers directly, so its defaults are stricter than the plugin's:
 * 100 connections per client address and 100 channels per connection (the plugin keeps 0 = off and 1000).
 * A config file, the environment or a flag still sets either, and `--help` prints the standalone values.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load.js'
import { helpText } from '../../src/config/settings.js'
import { resolveOptions } from '../../src/options.js'
import { startStandalone } from '../../src/cli/server.js'
import { connect } from '../helpers/ws-client.js'

t.test('the standalone defaults, and what overrides them', async (t) => {
  const config = loadConfig([], {})
  t.equal(config.options.maxConnectionsPerIp, 100)
  t.equal(config.options.apps[0]?.limits.channelsPerConnection, 100)
  const plugin = resolveOptions({ apps: [{ id: 'a', key: 'k', secret: 's' }] })
  t.equal(plugin.maxConnectionsPerIp, 0, 'the plugin keeps its own defaults')
  t.equal(plugin.apps[0]?.limits.channelsPerConnection, 1000)
  const dir = mkdtempSync(join(tmpdir(), 'bt-defaults-'))
  const file = join(dir, 'apps.json')
  writeFileSync(file, JSON.stringify({ maxConnectionsPerIp: 7, apps: [{ id: 'a', key: 'k', secret: 's', limits: { channelsPerConnection: 500 } }, { id: 'b', key: 'kb', secret: 's' }] }))
  const fromFile = loadConfig(['--config', file], {})
  t.equal(fromFile.options.maxConnectionsPerIp, 7)
  t.same(fromFile.options.apps.map((app) => app.limits.channelsPerConnection), [500, 100], 'per app, unless the file sets it')
  const fromEnv = loadConfig([], { BROADCASTT_MAX_CONNECTIONS_PER_IP: '0', BROADCASTT_LIMIT_CHANNELS_PER_CONNECTION: '300' })
  t.equal(fromEnv.options.maxConnectionsPerIp, 0)
  t.equal(fromEnv.options.apps[0]?.limits.channelsPerConnection, 300)
  const help = helpText('x')
  t.match(help, /BROADCASTT_MAX_CONNECTIONS_PER_IP\s+connections per client address, 0 = unlimited \(over it: 4100\) \(default 100\)/)
  t.match(help, /BROADCASTT_LIMIT_CHANNELS_PER_CONNECTION\s+limits\.channelsPerConnection of every app of the config or environment \(default 100\)/)
})

t.test('the 101st connection from one address is refused by a standalone server with no settings', async (t) => {
  const config = loadConfig([], { PORT: '0', LOG_LEVEL: 'silent' })
  const server = await startStandalone({ ...config, port: 0 })
  t.teardown(() => server.close())
  const url = `${server.url.replace(/^http/, 'ws')}/app/app-key?protocol=7`
  const opened = []
  for (let i = 0; i < 100; i++) opened.push(await connect(url))
  t.ok(opened.every(({ first }) => first.event === 'pusher:connection_established'), '100 connections accepted')
  const { client, first } = await connect(url)
  t.match(first.json, { code: 4100, message: 'At most 100 connections per client address' })
  t.equal((await client.closed).code, 4100)
  for (const { client } of opened) client.ws.terminate()
})

t.test('a request target over 8 KB is answered 414 before routing; a long query under it still reaches the gate', async (t) => {
  const config = loadConfig([], { PORT: '0', LOG_LEVEL: 'silent' })
  const server = await startStandalone({ ...config, port: 0 })
  t.teardown(() => server.close())
  const app = config.options.apps[0]?.id ?? ''
  const long = await fetch(`${server.url}/apps/${app}/channels?${'k&'.repeat(7000)}`)
  t.equal(long.status, 414)
  t.same(await long.json(), {
    statusCode: 414, code: 'FST_BROADCASTT_URI_TOO_LONG', error: 'URI Too Long', message: `The request target is ${16 + app.length + 14_000} bytes; the limit is 8192`
  })
  const under = await fetch(`${server.url}/apps/${app}/channels?${'k&'.repeat(3000)}`)
  t.equal(under.status, 400, 'a query over the signed request\'s 4 KB is the gate\'s refusal')
  t.match(await under.json(), { code: 'FST_BROADCASTT_INVALID_REQUEST' })
  t.equal((await fetch(`${server.url}/health`)).status, 200, 'and the server serves on')
})
