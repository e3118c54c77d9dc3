/**
 * The plugin is a guest in the host's Fastify app: by default it takes none of the host's routes (no
 * `/docs`, no `/openapi.json`); the standalone server, which owns its host, turns both on and answers `GET /`.
 */
import Fastify from 'fastify'
import t from 'tap'
import broadcastt from '../../src/index.js'
import { loadConfig } from '../../src/config/load.js'
import { startStandalone } from '../../src/cli/server.js'
import { TEST_APP } from '../helpers/server.js'

t.test('a host that owns /docs, /openapi.json and / registers the plugin with its defaults', async (t) => {
  const host = Fastify({ logger: false })
  host.get('/docs', async () => 'host docs')
  host.get('/openapi.json', async () => ({ host: true }))
  host.get('/openapi-3.0.json', async () => ({ host: 3 }))
  host.get('/', async () => 'host root')
  await host.register(broadcastt, { apps: [TEST_APP] })
  await host.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => host.close())
  const base = `http://127.0.0.1:${(host.server.address() as { port: number }).port}`
  t.equal(await (await fetch(`${base}/docs`)).text(), 'host docs')
  t.same(await (await fetch(`${base}/openapi.json`)).json(), { host: true })
  t.same(await (await fetch(`${base}/openapi-3.0.json`)).json(), { host: 3 })
  t.equal(await (await fetch(`${base}/`)).text(), 'host root')
})

t.test('the plugin serves the documents and the page only when asked, under its prefix', async (t) => {
  const host = Fastify({ logger: false })
  host.get('/docs', async () => 'host docs')
  host.get('/openapi.json', async () => ({ host: true }))
  await host.register(broadcastt, { apps: [TEST_APP], prefix: '/rt', rest: { openapi: true, docs: true } })
  await host.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => host.close())
  const base = `http://127.0.0.1:${(host.server.address() as { port: number }).port}`
  t.equal(await (await fetch(`${base}/docs`)).text(), 'host docs')
  t.equal((await fetch(`${base}/rt/docs`)).status, 200)
  t.equal((await (await fetch(`${base}/rt/openapi.json`)).json() as { openapi: string }).openapi, '3.1.0')
  t.equal((await (await fetch(`${base}/rt/openapi-3.0.json`)).json() as { openapi: string }).openapi, '3.0.3')
})

t.test('the standalone server serves /, the documents and the page; a config file may turn them off', async (t) => {
  const config = loadConfig([], { LOG_LEVEL: 'silent' })
  t.same(config.options.rest, { ...config.options.rest, openapi: true, docs: true })
  const server = await startStandalone({ ...config, port: 0 })
  t.teardown(() => server.close())
  const root = await fetch(`${server.url}/`)
  t.equal(root.status, 200, 'GET / answers 200 for load balancers')
  t.equal(await root.text(), 'OK')
  t.equal((await fetch(`${server.url}/openapi.json`)).status, 200)
  t.equal((await fetch(`${server.url}/openapi-3.0.json`)).status, 200)
  t.equal((await fetch(`${server.url}/docs`)).status, 200)
  const metrics = await (await fetch(`${server.url}/metrics`)).text()
  t.notMatch(metrics, /broadcastt_http_requests_total\{[^}]*route="\/(docs|openapi)/, 'the document and the page are not REST requests of an app')
  t.notMatch(metrics, /broadcastt_http_requests_total\{app="unknown"/)
  const prefixed = loadConfig([], { LOG_LEVEL: 'silent', BROADCASTT_PREFIX: '/rt' })
  const other = await startStandalone({ ...prefixed, port: 0 })
  t.teardown(() => other.close())
  t.equal((await fetch(`${other.url}/`)).status, 200, 'GET / at the root, whatever the prefix')
  t.equal((await fetch(`${other.url}/rt/docs`)).status, 200)
})
