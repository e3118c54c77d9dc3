/**
 * Liveness (PROTOCOL.md §4). The sweep runs on the injected fake clock, so after `t.clock.advance` it has run
 * and the server-side connection's state is read directly; sockets and I/O stay real.
 */
import t, { type Test } from 'tap'
import type { Connection } from '../../src/hub/connection.js'
import type { Hub } from '../../src/hub/hub.js'
import { GatedAdapter } from '../helpers/gated-adapter.js'
import { startServer } from '../helpers/server.js'
import { open, type TestClient } from '../helpers/ws-client.js'

async function setup (t: Test, activityTimeout: number, pongTimeout: number,
  autoPong = true): Promise<{ client: TestClient, conn: Connection }> {
  const adapter = new GatedAdapter()
  const server = await startServer(t, { activityTimeout, pongTimeout, clock: t.clock, adapter })
  const client = await open(t, server.wsUrl(), { autoPong })
  const conn = [...(adapter.node as Hub).connections()].find((c) => c.socketId === client.socketId)
  if (conn === undefined) throw new Error('no server-side connection')
  return { client, conn }
}

t.test('an idle connection is pinged, and closed with 4201 when nothing answers', async (t) => {
  const { client: silent, conn } = await setup(t, 60, 30, false)
  const pinged = new Promise<void>((resolve) => { silent.ws.once('ping', () => { resolve() }) })
  t.clock.advance(59_000)
  t.equal(conn.pingedAt, -1, 'no ping before activity_timeout')
  t.clock.advance(1_000)
  t.not(conn.pingedAt, -1, 'pinged after activity_timeout of silence')
  await pinged
  t.clock.advance(29_000)
  t.ok(conn.open, 'still open within the pong timeout')
  t.clock.advance(1_000)
  t.notOk(conn.open, 'closed when no pong came')
  t.equal((await silent.closed).code, 4201, 'with 4201')
})

t.test('any inbound frame counts as activity', async (t) => {
  const { client, conn } = await setup(t, 10, 5, false)
  for (let i = 0; i < 5; i++) {
    t.clock.advance(9_000)
    await client.settle() // the pusher:ping message is this client's own activity
    t.equal(conn.pingedAt, -1, `no ping after ${(i + 1) * 9} s with a message every 9 s`)
  }
  t.ok(conn.open)
})

t.test('a pong answers the ping and the connection stays open', async (t) => {
  const { conn } = await setup(t, 10, 5) // ws answers pings with pongs by itself, and sends nothing else
  for (let i = 0; i < 3; i++) {
    const pong = new Promise<void>((resolve) => { conn.socket.once('pong', () => { resolve() }) })
    t.clock.advance(10_000)
    t.not(conn.pingedAt, -1, `ping ${i + 1} sent`)
    await pong // the server received the pong
    t.equal(conn.pingedAt, -1, `pong ${i + 1} counted`)
    t.clock.advance(5_000)
    t.ok(conn.open, `still open after ping ${i + 1}`)
  }
})
