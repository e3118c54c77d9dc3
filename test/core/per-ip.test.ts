/**
 * `maxConnectionsPerIp`: off by default; over it an upgrade is refused with 4100; the client address is
 * Fastify's `request.ip`, so X-Forwarded-For counts only with `trustProxy`.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import broadcastt from '../../src/index.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { trackServer } from '../helpers/settle.js'
import { connect, open } from '../helpers/ws-client.js'

async function serve (t: { teardown (fn: () => unknown): void }, trustProxy: boolean): Promise<{ url: string, app: FastifyInstance }> {
  const app = Fastify({ logger: false, trustProxy })
  await app.register(broadcastt, { apps: [TEST_APP], maxConnectionsPerIp: 2 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  trackServer(t, app)
  return { url: `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/app/${TEST_APP.key}?protocol=7`, app }
}

const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } })

t.test('off by default', async (t) => {
  const server = await startServer(t)
  for (let i = 0; i < 5; i++) await open(t, server.wsUrl())
  t.pass('five connections from one address')
})

t.test('the third connection from one address gets 4100; a closed one frees its place', async (t) => {
  const { url, app } = await serve(t, false)
  const first = await open(t, url)
  await open(t, url)
  const refused = await connect(url)
  t.match(refused.first, { event: 'pusher:error', json: { code: 4100, message: 'At most 2 connections per client address' } })
  t.equal((await refused.client.closed).code, 4100)
  const gone = new Promise<void>((resolve) => { app.broadcastt.on('connection_closed', () => { resolve() }) })
  await first.close()
  await gone
  await (await open(t, url)).settle() // accepted again: the place was given back when the first closed
  const spoofed = await connect(url, from('10.0.0.9'))
  t.match(spoofed.first, { json: { code: 4100 } }, 'without trustProxy, X-Forwarded-For is ignored')
})

t.test('with trustProxy, each forwarded address has its own quota', async (t) => {
  const { url } = await serve(t, true)
  await open(t, url, from('10.0.0.1'))
  await open(t, url, from('10.0.0.1'))
  t.match((await connect(url, from('10.0.0.1'))).first, { json: { code: 4100 } })
  await open(t, url, from('10.0.0.2'))
  t.pass('another forwarded address is still accepted')
})
