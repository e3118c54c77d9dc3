/**
 * A connection the server closes is cut when the peer does not answer the close frame within about 1–2 s
 * (issue #7, defect 3): a dead peer (4201) or a slow consumer (4100) leaves its channels and presence at
 * once, rather than after ws's 30 s close timeout. The liveness sweep runs on the fake clock.
 */
import type { Socket } from 'node:net'
import t from 'tap'
import { CLOSE_GRACE_MS } from '../../src/hub/heartbeat.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open, type TestClient } from '../helpers/ws-client.js'
import { joined, presenceAuth } from '../channels/helpers.js'

const ROOM = 'presence-room'

/** Stops the client from reading anything: it neither answers pings nor the close frame. */
function freeze (client: TestClient): void {
  (client.ws as unknown as { _socket: Socket })._socket.pause()
}

/** Resolves when the server removed the connection (its socket closed on the server side). */
function removed (server: Awaited<ReturnType<typeof startServer>>, client: TestClient): { done: boolean, promise: Promise<void> } {
  const state = { done: false, promise: Promise.resolve() }
  state.promise = new Promise((resolve) => {
    server.app.broadcastt.on('connection_closed', ({ socketId }) => {
      if (socketId !== client.socketId) return
      state.done = true
      resolve()
    })
  })
  return state
}

t.test('a dead peer closed with 4201 is cut after the grace, and leaves presence', async (t) => {
  const server = await startServer(t, { activityTimeout: 10, pongTimeout: 5, clock: t.clock })
  const dead = await open(t, server.wsUrl())
  const watcher = await open(t, server.wsUrl())
  await joined(dead, ROOM, presenceAuth(dead, ROOM, 'dead'))
  await joined(watcher, ROOM, presenceAuth(watcher, ROOM, 'watcher'))
  const gone = removed(server, dead)
  freeze(dead)
  for (let i = 0; i < 3; i++) { t.clock.advance(5_000); await watcher.settle() } // ping at 10 s, 4201 at 15 s
  t.notOk(gone.done, 'closed, but the server still waits for the close frame')
  t.same(await server.app.broadcastt.members(TEST_APP.id, ROOM).then((m) => m.length), 2, 'still a member during the grace')
  t.clock.advance(CLOSE_GRACE_MS)
  t.clock.advance(CLOSE_GRACE_MS)
  // ws alone would wait 30 s for the close frame; the frame must come well within the client's 5 s wait.
  t.match(await watcher.next('pusher_internal:member_removed'), { json: { user_id: 'dead' } }, 'member_removed without delay')
  await gone.promise
})

t.test('a slow consumer closed with 4100 is cut after the grace', async (t) => {
  const server = await startServer(t, { maxBufferedBytes: 64 * 1024, clock: t.clock })
  const slow = await open(t, server.wsUrl())
  const watcher = await open(t, server.wsUrl())
  await joined(slow, 'firehose')
  await joined(slow, ROOM, presenceAuth(slow, ROOM, 'slow'))
  await joined(watcher, ROOM, presenceAuth(watcher, ROOM, 'watcher'))
  const gone = removed(server, slow)
  freeze(slow)
  const data = 'x'.repeat(8 * 1024)
  const seen = []
  for (let round = 0; round < 100 && !gone.done; round++) {
    for (let i = 0; i < 64; i++) await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['firehose'], name: 'e', data })
    t.clock.advance(CLOSE_GRACE_MS)
    t.clock.advance(CLOSE_GRACE_MS)
    seen.push(...await watcher.settle())
  }
  t.ok(gone.done, 'the slow consumer was closed and cut')
  const notice = seen.find((f) => f.event === 'pusher_internal:member_removed') ??
    await watcher.next('pusher_internal:member_removed')
  t.match(notice, { json: { user_id: 'slow' } })
})
