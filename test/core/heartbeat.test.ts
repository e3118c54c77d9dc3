import t from 'tap'
import { startServer } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'

// The plugin's liveness sweep runs on the injected clock; sockets and I/O stay real.
t.test('an idle connection is pinged, and closed with 4201 when nothing answers', async (t) => {
  const server = await startServer(t, { activityTimeout: 60, pongTimeout: 30, clock: t.clock })
  const silent = await open(t, server.wsUrl(), { autoPong: false })
  const lively = await open(t, server.wsUrl())
  const pinged = new Promise<void>((resolve) => { silent.ws.once('ping', () => { resolve() }) })
  let pings = 0
  silent.ws.on('ping', () => { pings++ })

  t.clock.advance(59_000)
  await lively.settle()
  t.equal(pings, 0, 'no ping before activity_timeout')
  t.clock.advance(1_000)
  await pinged
  t.equal(pings, 1, 'one ping after activity_timeout of silence')

  t.clock.advance(29_000)
  await lively.settle()
  t.equal(silent.ws.readyState, silent.ws.OPEN, 'still open within the pong timeout')
  t.clock.advance(1_000)
  t.equal((await silent.closed).code, 4201, 'closed 4201 when no pong came')
  t.equal(lively.ws.readyState, lively.ws.OPEN, 'a connection that answers pings stays open')
})

t.test('any inbound frame counts as activity', async (t) => {
  const server = await startServer(t, { activityTimeout: 10, pongTimeout: 5, clock: t.clock })
  const client = await open(t, server.wsUrl(), { autoPong: false })
  let pings = 0
  client.ws.on('ping', () => { pings++ })
  for (let i = 0; i < 5; i++) {
    t.clock.advance(9_000)
    await client.settle() // the pusher:ping message is activity
  }
  t.equal(pings, 0, 'messages every 9 s keep a 10 s activity timeout from pinging')
  t.equal(client.ws.readyState, client.ws.OPEN)
})

t.test('a pong answers the ping and the connection stays open', async (t) => {
  const server = await startServer(t, { activityTimeout: 10, pongTimeout: 5, clock: t.clock })
  const client = await open(t, server.wsUrl()) // ws answers pings with pongs by itself, and sends nothing else
  const observer = await open(t, server.wsUrl())
  for (let i = 0; i < 3; i++) {
    const pinged = new Promise<void>((resolve) => { client.ws.once('ping', () => { resolve() }) })
    t.clock.advance(10_000)
    await pinged
    // The pong was written before 'ping' was emitted; a round trip on another socket lets the server read it.
    await observer.settle()
    t.clock.advance(5_000)
  }
  await observer.settle()
  t.equal(client.ws.readyState, client.ws.OPEN, 'pinged three times, answered each by a pong only, still open')
})
