/**
 * Triggering through the official Pusher server SDK and through raw signed requests in the three body
 * shapes of `POST /events`, against a real server with real WebSocket subscribers.
 */
import t from 'tap'
import { startServer } from '../helpers/server.js'
import { delivered, pusherFor, signed, subscriber } from './helpers.js'

t.test('pusher SDK: trigger to one channel', async (t) => {
  const server = await startServer(t)
  const sub = await subscriber(t, server, ['news'])
  const response = await pusherFor(server).trigger('news', 'headline', { title: 'hi' })
  t.equal(response.status, 200)
  t.same(await response.json(), {})
  const frame = await sub.next((f) => f.event === 'headline')
  t.same(frame, { event: 'headline', channel: 'news', data: '{"title":"hi"}', json: { title: 'hi' } })
})

t.test('pusher SDK: trigger to many channels, excluding the sender socket', async (t) => {
  const server = await startServer(t)
  const a = await subscriber(t, server, ['room-1', 'room-2'])
  const sender = await subscriber(t, server, ['room-1'])
  const response = await pusherFor(server).trigger(['room-1', 'room-2'], 'moved', 'plain text', { socket_id: sender.socketId })
  t.equal(response.status, 200)
  t.same(await delivered(a), [
    { event: 'moved', channel: 'room-1', data: 'plain text' },
    { event: 'moved', channel: 'room-2', data: 'plain text' }
  ], 'each channel gets the event once, in order')
  t.same(await delivered(sender), [], 'the socket_id connection gets nothing')
})

t.test('pusher SDK: trigger with info answers the channel attributes', async (t) => {
  const server = await startServer(t)
  await subscriber(t, server, ['counted'])
  await subscriber(t, server, ['counted'])
  const response = await pusherFor(server).trigger(['counted', 'empty'], 'e', {}, { info: 'subscription_count' })
  t.same(await response.json(), { channels: { counted: { subscription_count: 2 }, empty: { subscription_count: 0 } } })
})

t.test('pusher SDK: triggerBatch publishes every event in order', async (t) => {
  const server = await startServer(t)
  const sub = await subscriber(t, server, ['b-1', 'b-2'])
  const response = await pusherFor(server).triggerBatch([
    { channel: 'b-1', name: 'first', data: { n: 1 } },
    { channel: 'b-2', name: 'second', data: 'two' },
    { channel: 'b-1', name: 'third', data: { n: 3 }, info: 'subscription_count' } as never
  ])
  t.equal(response.status, 200)
  t.same(await response.json(), { batch: [{}, {}, { subscription_count: 1 }] }, 'index-aligned info')
  t.same(await delivered(sub), [
    { event: 'first', channel: 'b-1', data: '{"n":1}' },
    { event: 'second', channel: 'b-2', data: 'two' },
    { event: 'third', channel: 'b-1', data: '{"n":3}' }
  ])
})

t.test('POST /events takes one event, {batch: [...]} and a bare array', async (t) => {
  const server = await startServer(t)
  const sub = await subscriber(t, server, ['shapes'])
  const one = await signed(server, 'POST', '/events', { body: { name: 'one', channel: 'shapes', data: { a: 1 } } })
  t.same([one.status, one.body], [200, {}])
  const batch = await signed(server, 'POST', '/events', { body: { batch: [{ name: 'two', channel: 'shapes', data: '2' }] } })
  t.same([batch.status, batch.body], [200, {}])
  const array = await signed(server, 'POST', '/events', {
    body: [{ name: 'three', channel: 'shapes', data: '3' }, { name: 'four', channel: 'shapes', data: '4' }]
  })
  t.same([array.status, array.body], [200, {}])
  t.same((await delivered(sub)).map((f) => [f.event, f.data]),
    [['one', '{"a":1}'], ['two', '2'], ['three', '3'], ['four', '4']])
})

t.test('POST /event (one event) and POST /batch_events', async (t) => {
  const server = await startServer(t)
  const sub = await subscriber(t, server, ['routes'])
  const one = await signed(server, 'POST', '/event', { body: { name: 'a', channels: ['routes'], data: 'x' } })
  t.same([one.status, one.body], [200, {}])
  const batch = await signed(server, 'POST', '/batch_events', {
    body: { batch: [{ name: 'b', channel: 'routes', data: 'y', info: 'subscription_count' }] }
  })
  t.same([batch.status, batch.body], [200, { batch: [{ subscription_count: 1 }] }])
  t.same((await delivered(sub)).map((f) => f.event), ['a', 'b'])
})

t.test('the plugin prefix applies to the REST routes', async (t) => {
  const server = await startServer(t, { prefix: '/rt' })
  const sub = await subscriber(t, server, ['prefixed'])
  const ok = await signed(server, 'POST', '/events', { prefix: '/rt', body: { name: 'p', channel: 'prefixed', data: '1' } })
  t.equal(ok.status, 200)
  t.same((await delivered(sub)).map((f) => f.event), ['p'])
  const bare = await signed(server, 'POST', '/events', { body: { name: 'p', channel: 'prefixed', data: '1' } })
  t.equal(bare.status, 404, 'not served outside the prefix')
})
