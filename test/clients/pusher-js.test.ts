import t from 'tap'
import { localServerOptions, Pusher } from '../helpers/pusher-js.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'

function pusherClient (t: { teardown (fn: () => unknown): void }, server: TestServer): Pusher {
  const client = new Pusher(TEST_APP.key, {
    ...localServerOptions(server.port)
  })
  t.teardown(() => { client.disconnect() })
  return client
}

t.test('pusher-js connects, subscribes and receives an event triggered in-process', async (t) => {
  const server = await startServer(t)
  const client = pusherClient(t, server)
  const connected = new Promise<void>((resolve) => { client.connection.bind('connected', () => { resolve() }) })
  const channel = client.subscribe('orders')
  const subscribed = new Promise<void>((resolve) => { channel.bind('pusher:subscription_succeeded', () => { resolve() }) })
  await connected
  t.match(client.connection.socket_id, /^\d+\.\d+$/, 'pusher-js got a socket id')
  await subscribed
  const received = new Promise<unknown>((resolve) => { channel.bind('order-placed', resolve) })
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['orders'], name: 'order-placed', data: { id: 42 } })
  t.same(await received, { id: 42 }, 'pusher-js parsed the event data')
  t.same(await server.app.broadcastt.channel(TEST_APP.id, 'orders'), { occupied: true, subscriptionCount: 1 })
})

t.test('pusher-js excluded by its own socket id gets nothing, others do', async (t) => {
  const server = await startServer(t)
  const [a, b] = [pusherClient(t, server), pusherClient(t, server)]
  const subscribed = (client: Pusher) => new Promise<ReturnType<Pusher['subscribe']>>((resolve) => {
    const channel = client.subscribe('room')
    channel.bind('pusher:subscription_succeeded', () => { resolve(channel) })
  })
  const [ca, cb] = await Promise.all([subscribed(a), subscribed(b)])
  const gotA: unknown[] = []
  ca.bind('msg', (data: unknown) => { gotA.push(data) })
  const gotB = new Promise<unknown>((resolve) => { cb.bind('msg', resolve) })
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['room'], name: 'msg', data: 'hi', socketId: a.connection.socket_id })
  t.equal(await gotB, 'hi')
  // A second event, not excluded, arrives at `a` after the first would have: order proves the exclusion.
  const next = new Promise<void>((resolve) => { ca.bind('after', () => { resolve() }) })
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['room'], name: 'after', data: {} })
  await next
  t.same(gotA, [], 'the excluded client got nothing')
})

t.test('pusher-js reconnects after the server sends 4200 on shutdown', async (t) => {
  const server = await startServer(t)
  const client = pusherClient(t, server)
  await new Promise<void>((resolve) => { client.connection.bind('connected', () => { resolve() }) })
  const states: string[] = []
  const codes: unknown[] = []
  client.connection.bind('error', (error: { data?: { code?: unknown } }) => { codes.push(error.data?.code) })
  const reconnecting = new Promise<void>((resolve) => {
    client.connection.bind('state_change', ({ current }: { current: string }) => {
      states.push(current)
      if (current === 'connecting') resolve()
    })
  })
  await server.app.close()
  await reconnecting
  t.equal(codes[0], 4200, 'pusher-js got the 4200 error first (later ones are its failed retries)')
  // In the 4200 range pusher-js retries at once: straight to connecting, not through
  // `unavailable`/`disconnected` and a backoff timer (as for 4100) or giving up (as for 4000).
  t.same(states, ['connecting'], 'the first state after the close is connecting')
})
