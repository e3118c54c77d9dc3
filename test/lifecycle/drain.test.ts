/**
 * Graceful shutdown in process: connections get 4200 in slices over the drain window (on the plugin's clock),
 * new upgrades are refused with 4200 while the server drains, a client that never answers is cut after the
 * grace, background work started by the closes settles before the adapter is closed, a failed registration
 * closes the adapter it started, and a host-registered @fastify/websocket does not close the plugin's
 * clients without a code first.
 */
import Fastify from 'fastify'
import websocket from '@fastify/websocket'
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net'
import t from 'tap'
import broadcastt from '../../src/index.js'
import { MemoryAdapter } from '../../src/adapters/memory.js'
import { dueCount, sliceCount } from '../../src/lifecycle/drain.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { connect, open, type TestClient } from '../helpers/ws-client.js'
import { joined, presenceAuth } from '../channels/helpers.js'
import { receiver } from '../webhooks/receiver.js'
import { within } from '../helpers/within.js'

t.test('the schedule: slices of at least 10 connections, at most 50 slices, all due by the end of the window', async (t) => {
  t.equal(sliceCount(3), 1)
  t.equal(sliceCount(40), 4)
  t.equal(sliceCount(100_000), 50)
  t.equal(dueCount(3, 0, 5000), 3, 'a handful is closed at once')
  t.same([0, 249, 250, 500, 999, 5000].map((ms) => dueCount(40, ms, 1000)), [10, 10, 20, 30, 40, 40])
  t.equal(dueCount(100_000, 0, 5000), 2000)
  t.equal(dueCount(100_000, 4999, 5000), 100_000)
  t.equal(dueCount(40, 0, 0), 40, 'a window of 0 closes everyone at once')
})

/** Resolves with the client's close code; records the order in which clients were closed. */
function closeOrder (clients: readonly TestClient[]): number[] {
  const order: number[] = []
  clients.forEach((client, i) => { void client.closed.then(() => { order.push(i) }) })
  return order
}

t.test('connections get 4200 in slices spread over the drain window', async (t) => {
  const server = await startServer(t, { clock: t.clock, shutdown: { drainWindowMs: 1000, graceMs: 500 } })
  const clients: TestClient[] = []
  for (let i = 0; i < 40; i++) clients.push(await open(t, server.wsUrl()))
  const order = closeOrder(clients)
  const closing = server.app.close()
  for (let slice = 0; slice < 4; slice++) {
    const due = clients.slice(slice * 10, slice * 10 + 10)
    const codes = await Promise.all(due.map(async (c) => (await c.closed).code))
    t.same(codes, Array.from({ length: 10 }, () => 4200), `slice ${slice + 1}: ten connections closed 4200`)
    const rest = clients.slice(slice * 10 + 10)
    // A ping/pong round trip on each remaining connection proves the server sent it nothing before.
    for (const client of rest) t.same(await client.settle(), [], 'a later connection is still served')
    t.equal(order.length, slice * 10 + 10, 'no later connection was closed yet')
    t.clock.advance(250)
  }
  await closing
  t.equal(order.length, 40)
})

/** A WebSocket that never answers the server's close frame. */
async function stubborn (port: number, path = `/app/${TEST_APP.key}?protocol=7`): Promise<{ socket: Socket, gone: Promise<void> }> {
  const socket = netConnect(port, '127.0.0.1')
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
  socket.on('error', () => {})
  const gone = new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) })
  let seen = ''
  await new Promise<void>((resolve) => {
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('latin1')
      if (seen.includes('connection_established')) { socket.off('data', onData); resolve() }
    }
    socket.on('data', onData)
  })
  return { socket, gone }
}

t.test('while draining, new upgrades are refused with 4200 in the dialect asked; a silent client is cut after the grace', async (t) => {
  const server = await startServer(t, { clock: t.clock, shutdown: { drainWindowMs: 0, graceMs: 3000 } })
  const silent = await stubborn(server.port)
  let cut = false
  void silent.gone.then(() => { cut = true })
  const closing = server.app.close()
  const pusher = await connect(server.wsUrl())
  t.match(pusher.first, { event: 'pusher:error', json: { code: 4200 } })
  t.equal((await pusher.client.closed).code, 4200)
  const native = await connect(server.wsUrl(TEST_APP.key, '', 'apps'))
  t.match(native.first, { event: 'broadcastt:error', json: { code: 4200 } })
  t.equal((await native.client.closed).code, 4200)
  t.equal(cut, false, 'the silent client is still connected within the grace')
  t.clock.advance(3000)
  // ws would also cut it, after its own 30 s close timeout: a real 2 s bound tells the grace's cut from that.
  const elapsed = await within(2000, silent.gone)
  t.ok(elapsed < 2000, `cut ${elapsed.toFixed(0)} ms after the clock passed the grace`)
  await closing
})

t.test('background work started by the closes finishes before the adapter is closed', async (t) => {
  const events: string[] = []
  const removeMember = MemoryAdapter.prototype.removeMember
  const close = MemoryAdapter.prototype.close
  t.teardown(() => {
    MemoryAdapter.prototype.removeMember = removeMember
    MemoryAdapter.prototype.close = close
  })
  // A slow presence leave, as over a network: it resolves on a later turn than the socket's close.
  MemoryAdapter.prototype.removeMember = async function (this: MemoryAdapter, ...args) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    events.push('removeMember done')
    return await removeMember.apply(this, args)
  }
  MemoryAdapter.prototype.close = async function (this: MemoryAdapter) {
    events.push('adapter closed')
    await close.call(this)
  }
  const server = await startServer(t, { shutdown: { drainWindowMs: 0 } })
  const client = await open(t, server.wsUrl())
  await joined(client, 'presence-x', presenceAuth(client, 'presence-x', 'u1'))
  await server.app.close()
  t.same(events, ['removeMember done', 'adapter closed'])
})

t.test('a failed registration closes the adapter it started', async (t) => {
  let closed = 0
  const close = MemoryAdapter.prototype.close
  t.teardown(() => { MemoryAdapter.prototype.close = close })
  MemoryAdapter.prototype.close = async function (this: MemoryAdapter) {
    closed++
    await close.call(this)
  }
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  app.get('/app/:key', async () => 'taken') // the plugin's WebSocket route cannot be added
  await t.rejects(async () => { await app.register(broadcastt, { apps: [TEST_APP] }) }, /already declared/)
  t.equal(closed, 1, 'the adapter was closed once')
})

for (const mode of ['plugin-registered', 'host-registered'] as const) {
  t.test(`every client sees 4200 on shutdown (${mode} @fastify/websocket)`, async (t) => {
    const app = Fastify({ logger: false })
    // Default options but a bounded maxPayload (issue #7, defect 7): it tracks its clients.
    if (mode === 'host-registered') await app.register(websocket, { options: { maxPayload: 12 * 1024 } })
    await app.register(broadcastt, { apps: [TEST_APP], shutdown: { drainWindowMs: 0 } })
    await app.listen({ port: 0, host: '127.0.0.1' })
    t.teardown(() => app.close())
    const { port } = app.server.address() as AddressInfo
    const url = `ws://127.0.0.1:${port}/app/${TEST_APP.key}`
    const clients = [await open(t, url + '?protocol=7'), await open(t, url)]
    await app.close()
    t.same(await Promise.all(clients.map(async (c) => (await c.closed).code)), [4200, 4200])
  })
}

t.test('webhooks still queued at shutdown are flushed after the drain, before close() resolves', async (t) => {
  const hook = await receiver(t)
  const server = await startServer(t, {
    apps: [{ ...TEST_APP, webhooks: [{ url: hook.url, eventTypes: ['channel_occupied'] }] }],
    webhookDelivery: { batchMs: 60_000 }, // only the shutdown flush sends it
    shutdown: { drainWindowMs: 0 }
  })
  const client = await open(t, server.wsUrl())
  await client.subscribe('queued')
  t.equal(hook.requests.length, 0, 'nothing sent yet: the batch window is a minute')
  await server.app.close()
  t.equal((await client.closed).code, 4200)
  t.same(hook.events.map((e) => `${e.name}:${e.channel}`), ['channel_occupied:queued'], 'flushed by close()')
})
