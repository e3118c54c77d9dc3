/**
 * The per-connection inbound queue is bounded (issue #7, defect 4): while a frame waits for a slow adapter,
 * the connection's later frames queue behind it; past INBOUND_PAUSE_AT of them the socket is no longer read,
 * so a client cannot grow the server's memory, and a well-behaved client loses nothing.
 */
import t from 'tap'
import type { Connection } from '../../src/hub/connection.js'
import type { Hub } from '../../src/hub/hub.js'
import { INBOUND_FRAME_OVERHEAD, INBOUND_MAX_BYTES, INBOUND_PAUSE_AT } from '../../src/hub/inbound.js'
import { GatedAdapter } from '../helpers/gated-adapter.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'

/** Floods of frames, without the frame budget (test/hub/frame-budget.test.ts), which would refuse them first. */
const UNBUDGETED = { apps: [{ ...TEST_APP, limits: { framesPerSecond: 0 } }] }

const turn = (): Promise<void> => new Promise((resolve) => { setImmediate(resolve) })

function serverConnection (adapter: GatedAdapter, socketId: string): Connection {
  const conn = [...(adapter.node as Hub).connections()].find((c) => c.socketId === socketId)
  if (conn === undefined) throw new Error('no such connection')
  return conn
}

t.test('frames behind a slow adapter call: reading pauses, nothing is lost', async (t) => {
  const adapter = new GatedAdapter()
  const server = await startServer(t, { ...UNBUDGETED, adapter })
  const client = await open(t, server.wsUrl())
  const conn = serverConnection(adapter, client.socketId)
  adapter.hold('getCache')
  const reached = adapter.called('getCache')
  client.send('pusher:subscribe', { channel: 'cache-slow' })
  await reached
  const FRAMES = 5000
  for (let i = 0; i < FRAMES; i++) client.send('pusher:ping', {})
  let most = 0
  let mostBytes = 0
  // Let the server read whatever it will read while the adapter call is pending.
  for (let i = 0; i < 200 && !conn.socket.isPaused; i++) { await turn(); most = Math.max(most, conn.waiting); mostBytes = Math.max(mostBytes, conn.waitingBytes) }
  for (let i = 0; i < 20; i++) { await turn(); most = Math.max(most, conn.waiting); mostBytes = Math.max(mostBytes, conn.waitingBytes) }
  t.ok(conn.socket.isPaused, 'the socket is paused')
  t.ok(most >= INBOUND_PAUSE_AT && most < FRAMES, `${most} of ${FRAMES} frames waited`)
  t.ok(mostBytes <= INBOUND_MAX_BYTES, `the waiting frames stayed within ${INBOUND_MAX_BYTES} bytes (${mostBytes})`)
  t.equal(client.ws.readyState, client.ws.OPEN)

  adapter.release('getCache')
  t.match(await client.next((f) => f.channel === 'cache-slow'), { event: 'pusher_internal:subscription_succeeded' })
  t.match(await client.next('pusher:cache_miss'), { channel: 'cache-slow' })
  for (let i = 0; i < FRAMES; i++) await client.next('pusher:pong')
  t.pass(`all ${FRAMES} pings were answered, in order after the subscription`)
  t.notOk(conn.socket.isPaused, 'reading resumed')
  t.equal(conn.waiting, 0)
})

t.test('a flood of tiny frames already read when the socket paused closes the connection with 4100', async (t) => {
  const adapter = new GatedAdapter()
  const server = await startServer(t, { ...UNBUDGETED, adapter })
  const client = await open(t, server.wsUrl())
  adapter.hold('getCache')
  const reached = adapter.called('getCache')
  client.send('pusher:subscribe', { channel: 'cache-slow' })
  await reached
  // Minimal masked frames, far more than INBOUND_MAX_BYTES' worth, sent at once: a TCP read holds 64 KiB.
  const frame = Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x7b, 0x7d]) // text "{}", masked with a zero key
  const raw = (client.ws as unknown as { _socket: import('node:net').Socket })._socket
  raw.write(Buffer.concat(Array.from({ length: 2 * Math.ceil(INBOUND_MAX_BYTES / INBOUND_FRAME_OVERHEAD) }, () => frame)))
  t.equal((await client.closed).code, 4100)
  adapter.release('getCache')
})
