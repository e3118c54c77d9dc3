/**
 * `TestClient.settle()`, on which every "nothing (more) arrived" assertion of the suite rests, waits for
 * late deliveries: a frame still on its way when a ping round trip ends is among the frames it returns, so
 * a negative assertion fails as it should. The ping round trip alone (the old `settle()`, `pingOnly`
 * below) ends before such a frame arrives, and a negative assertion on it passed wrongly. Each case makes
 * the delivery late deterministically: memory deliveries or adapter calls held by the test, or a node whose
 * Redis replies a proxy holds back.
 */
import Fastify from 'fastify'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import broadcastt from '../../src/index.js'
import { GatedAdapter } from '../helpers/gated-adapter.js'
import { HoldingProxy } from '../helpers/holding-proxy.js'
import { REDIS_URL, testPrefix } from '../helpers/redis.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'
import { trackServer } from '../helpers/settle.js'
import { open, type Frame, type TestClient } from '../helpers/ws-client.js'
import { joined, presenceAuth, serverClosed } from '../channels/helpers.js'
import { subscriber } from '../http/helpers.js'

/** The old `settle()`: a ping/pong round trip, then the frames received so far. */
async function pingOnly (client: TestClient): Promise<Frame[]> {
  client.send('pusher:ping', {})
  await client.next('pusher:pong')
  return client.frames.splice(0)
}

/** `client.settle()`, and whether it has resolved yet. */
function settling (client: TestClient): { frames: Promise<Frame[]>, done: () => boolean } {
  let done = false
  const frames = client.settle().finally(() => { done = true })
  return { frames, done: () => done }
}

const events = (frames: Frame[]): string[] => frames.map((f) => f.event)

async function trigger (server: TestServer, name: string): Promise<void> {
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['news'], name, data: {} })
}

t.test('memory, deliveries late: the ping round trip misses the event, settle() returns it', async (t) => {
  const adapter = new GatedAdapter()
  const server = await startServer(t, { adapter })
  const client = await subscriber(t, server, ['news'])
  adapter.holdDeliveries()
  await trigger(server, 'late') // published: the adapter accepted it, and delivers it later
  t.same(await pingOnly(client), [], 'the old settle(): nothing yet, so "nothing arrived" would wrongly pass')
  const settled = settling(client)
  t.same(await pingOnly(client), [], 'the event is still on its way')
  t.notOk(settled.done(), 'settle() waits for it')
  await adapter.releaseDeliveries()
  t.same(events(await settled.frames), ['late'], 'settle() returns the late event')
  await trigger(server, 'prompt')
  t.same(events(await client.settle()), ['prompt'], 'deliveries in time are returned as before')
})

t.test('memory, a presence leave still running after a close: settle() waits for member_removed', async (t) => {
  const adapter = new GatedAdapter()
  const server = await startServer(t, { adapter })
  const watcher = await open(t, server.wsUrl())
  await joined(watcher, 'presence-room', presenceAuth(watcher, 'presence-room', 'w'))
  const leaver = await open(t, server.wsUrl())
  await joined(leaver, 'presence-room', presenceAuth(leaver, 'presence-room', 'x'))
  t.equal((await watcher.next('pusher_internal:member_added')).channel, 'presence-room')
  adapter.hold('removeMember')
  const reached = adapter.called('removeMember')
  const gone = serverClosed(server.app, leaver)
  await leaver.close()
  await Promise.all([gone, reached])
  t.same(await pingOnly(watcher), [], 'the old settle(): the leave is still running, nothing yet')
  const settled = settling(watcher)
  t.same(await pingOnly(watcher), [])
  t.notOk(settled.done(), 'settle() waits for the hub\'s background work')
  adapter.release('removeMember')
  t.same(events(await settled.frames), ['pusher_internal:member_removed'], 'and returns what it delivered')
})

t.test('Redis, the receiving node\'s messages late: settle() waits for the event published on another node', async (t) => {
  const keyPrefix = testPrefix(t)
  const proxy = await HoldingProxy.start(t, REDIS_URL)
  const a = await startServer(t, { adapter: { type: 'redis', url: REDIS_URL, keyPrefix } })
  const b = await startServer(t, { adapter: { type: 'redis', url: proxy.url, keyPrefix } })
  const onB = await subscriber(t, b, ['news'])
  await trigger(a, 'warm-up') // b's subscription is in place in Redis
  t.same(events(await onB.settle()), ['warm-up'])
  proxy.hold()
  await trigger(a, 'late') // Redis executed the PUBLISH; b's copy waits in the proxy
  t.same(await pingOnly(onB), [], 'the old settle(): nothing yet, so "nothing arrived" would wrongly pass')
  const settled = settling(onB)
  t.same(await pingOnly(onB), [], 'the event is still on its way')
  t.notOk(settled.done(), 'settle() waits for it')
  proxy.release()
  t.same(events(await settled.frames), ['late'], 'settle() returns the late event')
})

t.test('Redis, a presence leave on another node still running: settle() waits for member_removed', async (t) => {
  const keyPrefix = testPrefix(t)
  const proxy = await HoldingProxy.start(t, REDIS_URL)
  const a = await startServer(t, { adapter: { type: 'redis', url: proxy.url, keyPrefix } })
  const b = await startServer(t, { adapter: { type: 'redis', url: REDIS_URL, keyPrefix } })
  const watcher = await open(t, b.wsUrl())
  await joined(watcher, 'presence-room', presenceAuth(watcher, 'presence-room', 'w'))
  const leaver = await open(t, a.wsUrl())
  await joined(leaver, 'presence-room', presenceAuth(leaver, 'presence-room', 'x'))
  t.equal((await watcher.next('pusher_internal:member_added')).channel, 'presence-room')
  t.same(await watcher.settle(), [])
  proxy.hold() // node a's removal of x waits for Redis's answer, so its member_removed is not published yet
  const gone = serverClosed(a.app, leaver)
  await leaver.close()
  await gone
  t.same(await pingOnly(watcher), [], 'the old settle(): nothing yet')
  const settled = settling(watcher)
  t.same(await pingOnly(watcher), [])
  t.notOk(settled.done(), 'settle() waits for node a\'s background work')
  proxy.release()
  t.same(events(await settled.frames), ['pusher_internal:member_removed'], 'and for its delivery on node b')
})

t.test('settle() refuses a client of a server the barrier does not know', async (t) => {
  const app = Fastify({ logger: false })
  await app.register(broadcastt, { apps: [TEST_APP] })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const { port } = app.server.address() as AddressInfo
  const client = await open(t, `ws://127.0.0.1:${port}/app/${TEST_APP.key}?protocol=7`)
  await t.rejects(client.settle(), /not registered \(trackServer\)/, 'instead of proving nothing')
  trackServer(t, app)
  t.same(await client.settle(), [], 'once registered')
})
