import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import t from 'tap'
import broadcastt from '../../src/index.js'
import type { HubEvents } from '../../src/hub/events.js'
import { TEST_APP } from '../helpers/server.js'
import { captureLog } from '../helpers/log.js'
import { open } from '../helpers/ws-client.js'
import { joined, presenceAuth, privateAuth, serverClosed } from '../channels/helpers.js'

const EVENTS: Array<keyof HubEvents> = [
  'connection_opened', 'connection_closed', 'channel_occupied', 'channel_vacated', 'member_added', 'member_removed',
  'client_event', 'cache_miss', 'user_signed_in'
]

t.test('listeners that throw or reject are logged; the server and the other listeners carry on', async (t) => {
  const log = captureLog()
  const app = Fastify({ logger: { level: 'error', stream: log.stream } })
  await app.register(broadcastt, { apps: [TEST_APP] })
  const seen: string[] = []
  for (const event of EVENTS) {
    app.broadcastt.on(event, () => { throw new Error(`boom in ${event}`) })
    app.broadcastt.on(event, () => { seen.push(event) })
    app.broadcastt.on(event, (async () => { throw new Error(`async boom in ${event}`) }) as () => void)
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/app/${TEST_APP.key}?protocol=7`

  const ann = await open(t, url)
  const bob = await open(t, url)
  await joined(ann, 'presence-room', presenceAuth(ann, 'presence-room', 'ann'))
  await joined(bob, 'presence-room', presenceAuth(bob, 'presence-room', 'bob'))
  t.match(await ann.next('pusher_internal:member_added'), { channel: 'presence-room' })
  await joined(bob, 'private-chat', privateAuth(bob, 'private-chat'))
  await joined(ann, 'private-chat', privateAuth(ann, 'private-chat'))
  await joined(ann, 'cache-news')
  ann.send('client-hello', { hi: 1 }, 'private-chat')
  t.match(await bob.next('client-hello'), { channel: 'private-chat' }, 'client events are still forwarded')

  const gone = serverClosed(app, ann)
  await ann.close()
  await gone
  t.match(await bob.next('pusher_internal:member_removed'), { channel: 'presence-room' })
  // The server still serves new connections.
  const carol = await open(t, url)
  await joined(carol, 'public')
  await app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['public'], name: 'still-up', data: {} })
  t.match(await carol.next('still-up'), { channel: 'public' })
  await new Promise<void>((resolve) => { setImmediate(resolve) }) // the async listeners' rejections are handled

  const expected = ['connection_opened', 'channel_occupied', 'member_added', 'client_event', 'cache_miss',
    'channel_vacated', 'member_removed', 'connection_closed']
  for (const event of expected) {
    t.ok(seen.includes(event), `the listener after a throwing one still ran for ${event}`)
    const logged = log.lines.filter((line) => (line.err as { message?: string } | undefined)?.message?.includes(`"${event}"`))
    t.ok(logged.some((line) => JSON.stringify(line).includes(`boom in ${event}`)), `the throw in ${event} was logged`)
    t.ok(logged.some((line) => JSON.stringify(line).includes(`async boom in ${event}`)), `the rejection in ${event} was logged`)
  }
})
