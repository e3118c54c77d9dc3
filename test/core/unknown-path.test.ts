/**
 * A WebSocket upgrade to a path under the prefix that no route serves gets `error` 4005 and a 4005 close
 * (PROTOCOL.md §5; issue #7, defect 8), in the dialect its query asks for. Plain HTTP requests and paths
 * outside the prefix keep the host's 404.
 */
import Fastify from 'fastify'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import WebSocket from 'ws'
import broadcastt from '../../src/index.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { connect } from '../helpers/ws-client.js'

t.test('unknown paths under the prefix get 4005', async (t) => {
  const server = await startServer(t)
  const base = `ws://127.0.0.1:${server.port}`
  for (const [path, prefix] of [
    ['/app/?protocol=7', 'pusher'], ['/app/test-key/extra?protocol=7', 'pusher'], ['/nope', 'broadcastt'],
    ['/apps/test-key/x/y', 'broadcastt'], ['/?protocol=7', 'pusher']
  ] as const) {
    const { client, first } = await connect(base + path)
    t.equal(first.event, `${prefix}:error`, `${path}: error event`)
    t.match(first.json, { code: 4005, message: /not found/ }, `${path}: code 4005`)
    t.match(await client.closed, { code: 4005 }, `${path}: closed with 4005`)
  }
  const http = await fetch(`http://127.0.0.1:${server.port}/nope`)
  t.equal(http.status, 404, 'a plain HTTP request still gets 404')
  await http.arrayBuffer()
  const { client, first } = await connect(server.wsUrl(TEST_APP.key))
  t.equal(first.event, 'pusher:connection_established', 'the real paths still connect')
  await client.close()
})

t.test('with a prefix, only paths under it get 4005; the host\'s own routes are untouched', async (t) => {
  const app = Fastify()
  await app.register(broadcastt, { apps: [TEST_APP], prefix: '/rt' })
  app.get('/hello', async () => ({ hello: 'world' }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const { client, first } = await connect(`${base}/rt/unknown?protocol=7`)
  t.match(first, { event: 'pusher:error', json: { code: 4005 } })
  t.match(await client.closed, { code: 4005 })
  const outside = new WebSocket(`${base}/elsewhere`)
  const refused = await new Promise<number>((resolve) => {
    outside.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0) })
    outside.on('error', () => {})
  })
  t.equal(refused, 404, 'outside the prefix: the host\'s HTTP 404')
  outside.terminate()
  t.same(await (await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/hello`)).json(), { hello: 'world' })
})
