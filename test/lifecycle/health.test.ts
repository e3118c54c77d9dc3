/**
 * GET /health and GET /ready: off by default in the plugin; unsigned; /ready is 503 while starting, while
 * draining and while the adapter cannot reach its shared state.
 */
import Fastify from 'fastify'
import t from 'tap'
import broadcastt from '../../src/index.js'
import { MemoryAdapter } from '../../src/adapters/memory.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'

const get = async (port: number, path: string): Promise<{ status: number, body: unknown, cache: string | null }> => {
  const response = await fetch(`http://127.0.0.1:${port}${path}`)
  return { status: response.status, body: await response.json(), cache: response.headers.get('cache-control') }
}

t.test('off by default in the plugin', async (t) => {
  const server = await startServer(t)
  t.equal((await fetch(`http://127.0.0.1:${server.port}/health`)).status, 404)
  t.equal((await fetch(`http://127.0.0.1:${server.port}/ready`)).status, 404)
})

t.test('200 while alive and ready, under the prefix, unsigned and not cached', async (t) => {
  const server = await startServer(t, { health: true, prefix: '/rt' })
  t.same(await get(server.port, '/rt/health'), { status: 200, body: { status: 'ok' }, cache: 'no-store' })
  t.same(await get(server.port, '/rt/ready'), { status: 200, body: { status: 'ready' }, cache: 'no-store' })
  t.equal(server.app.broadcastt.readiness(), 'ready')
})

t.test('503 while the adapter cannot reach its shared state', async (t) => {
  class FlakyAdapter extends MemoryAdapter {
    up = true
    override ready (): boolean { return this.up }
  }
  const adapter = new FlakyAdapter()
  const server = await startServer(t, { health: true, adapter })
  adapter.up = false
  t.same((await get(server.port, '/ready')).body, { status: 'adapter_unavailable' })
  t.equal((await get(server.port, '/ready')).status, 503)
  t.equal((await get(server.port, '/health')).status, 200, 'still alive')
  adapter.up = true
  t.equal((await get(server.port, '/ready')).status, 200, 'ready again when the adapter is back')
})

t.test('starting until the server is ready; draining once close() began', async (t) => {
  const app = Fastify({ logger: false, return503OnClosing: false })
  await app.register(broadcastt, { apps: [TEST_APP], health: true, clock: t.clock, shutdown: { drainWindowMs: 0, graceMs: 1000 } })
  t.equal(app.broadcastt.readiness(), 'starting', 'registered, not ready yet')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  t.equal(app.broadcastt.readiness(), 'ready')
  const { port } = app.server.address() as { port: number }
  const client = await open(t, `ws://127.0.0.1:${port}/app/${TEST_APP.key}?protocol=7`)
  const closing = app.close()
  t.match(await client.next('pusher:error'), { json: { code: 4200 } })
  t.equal(app.broadcastt.readiness(), 'draining', 'draining once the first 4200 went out (GET /ready: test/cli/shutdown.test.ts)')
  t.equal((await client.closed).code, 4200)
  await closing
})
