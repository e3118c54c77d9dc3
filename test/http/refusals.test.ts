/**
 * Every event rule of PROTOCOL.md §9 refused with its status and JSON error, and nothing delivered: not the
 * refused event, and not the valid events of a batch that holds an invalid one.
 */
import t from 'tap'
import { startServer, TEST_APP } from '../helpers/server.js'
import { assertRefused, delivered, signed, subscriber } from './helpers.js'

const channels = (n: number): string[] => Array.from({ length: n }, (_, i) => `c-${i}`)

t.test('event rules', async (t) => {
  const server = await startServer(t)
  const sub = await subscriber(t, server, ['c-0', 'c-1'])
  const cases: Array<[string, unknown, number, string, RegExp]> = [
    ['more than 100 channels', { name: 'e', data: '1', channels: channels(101) }, 400, 'FST_BROADCASTT_INVALID_EVENT', /at most 100 channels/],
    ['no name', { data: '1', channels: ['c-0'] }, 400, 'FST_BROADCASTT_INVALID_REQUEST', /required property 'name'/],
    ['empty name', { name: '', data: '1', channels: ['c-0'] }, 400, 'FST_BROADCASTT_INVALID_REQUEST', /body\/name must NOT have fewer than 1 characters/],
    ['no data', { name: 'e', channels: ['c-0'] }, 400, 'FST_BROADCASTT_INVALID_REQUEST', /required property 'data'/],
    ['no channel', { name: 'e', data: '1' }, 400, 'FST_BROADCASTT_INVALID_EVENT', /At least one channel/],
    ['channel and channels', { name: 'e', data: '1', channel: 'c-0', channels: ['c-1'] }, 400, 'FST_BROADCASTT_INVALID_EVENT', /either channels or channel/],
    ['event name over 200 characters', { name: 'e'.repeat(201), data: '1', channels: ['c-0'] }, 400, 'FST_BROADCASTT_INVALID_EVENT', /Event name is longer than 200/],
    ['channel name over 200 characters', { name: 'e', data: '1', channels: ['c-0', 'c'.repeat(201)] }, 400, 'FST_BROADCASTT_INVALID_EVENT', /Channel name is longer than 200/],
    ['invalid channel name', { name: 'e', data: '1', channels: ['c-0', 'bad channel'] }, 400, 'FST_BROADCASTT_INVALID_EVENT', /may only contain.*"bad channel"/],
    ['# channel other than #server-to-user-', { name: 'e', data: '1', channels: ['c-0', '#other'] }, 400, 'FST_BROADCASTT_INVALID_EVENT', /"#other"/],
    ['encrypted channel with others', { name: 'e', data: '1', channels: ['private-encrypted-x', 'c-0'] }, 400, 'FST_BROADCASTT_INVALID_EVENT', /encrypted channel must name that channel only/],
    ['bad socket_id', { name: 'e', data: '1', channels: ['c-0'], socket_id: '1.2.3' }, 400, 'FST_BROADCASTT_INVALID_REQUEST', /socket_id must match pattern/],
    ['data over 10 KB', { name: 'e', data: 'x'.repeat(10 * 1024 + 1), channels: ['c-0'] }, 413, 'FST_BROADCASTT_EVENT_TOO_LARGE', /10241 bytes; the limit is 10240/],
    ['unknown info attribute', { name: 'e', data: '1', channels: ['c-0'], info: 'subscription_count,colour' }, 400, 'FST_BROADCASTT_INVALID_REQUEST', /Unknown info attribute "colour"/],
    ['user_count off presence', { name: 'e', data: '1', channels: ['c-0'], info: 'user_count' }, 400, 'FST_BROADCASTT_INVALID_REQUEST', /user_count applies to presence channels only; "c-0"/]
  ]
  for (const [what, body, status, code, message] of cases) {
    for (const route of ['/events', '/event']) {
      assertRefused(t, await signed(server, 'POST', route, { body }), status, code, message)
    }
    t.same(await delivered(sub), [], `${what}: nothing delivered`)
  }
})

t.test('a batch with one invalid event delivers nothing', async (t) => {
  const server = await startServer(t)
  const sub = await subscriber(t, server, ['ok-1', 'ok-2'])
  const good = { name: 'good', channel: 'ok-1', data: '1' }
  const cases: Array<[string, unknown[], number, string, RegExp]> = [
    ['invalid channel', [good, { name: 'bad', channel: 'no way', data: '1' }], 400, 'FST_BROADCASTT_INVALID_EVENT', /^batch\[1\]: .*"no way"/],
    ['too much data', [good, good, { name: 'big', channel: 'ok-2', data: 'x'.repeat(10241) }], 413, 'FST_BROADCASTT_EVENT_TOO_LARGE', /^batch\[2\]: Event data is 10241 bytes/],
    ['missing channel', [good, { name: 'lost', data: '1' }], 400, 'FST_BROADCASTT_INVALID_REQUEST', /batch\/1 must have required property 'channel'/],
    ['more than 10 events', Array.from({ length: 11 }, () => good), 400, 'FST_BROADCASTT_INVALID_EVENT', /at most 10 events; it has 11/],
    ['bad info', [good, { ...good, info: 'user_count' }], 400, 'FST_BROADCASTT_INVALID_REQUEST', /^batch\[1\]: info=user_count/]
  ]
  for (const [what, batch, status, code, message] of cases) {
    assertRefused(t, await signed(server, 'POST', '/batch_events', { body: { batch } }), status, code, message)
    assertRefused(t, await signed(server, 'POST', '/events', { body: { batch } }), status, code, message)
    t.same(await delivered(sub), [], `${what}: nothing of the batch delivered`)
  }
})

t.test('limits come from the app configuration', async (t) => {
  const server = await startServer(t, {
    apps: [{ ...TEST_APP, limits: { channelsPerTrigger: 2, eventsPerBatch: 1, eventDataBytes: 8, nameLength: 10 } }]
  })
  const sub = await subscriber(t, server, ['a', 'b', 'c'])
  assertRefused(t, await signed(server, 'POST', '/events', { body: { name: 'e', data: '1', channels: ['a', 'b', 'c'] } }),
    400, 'FST_BROADCASTT_INVALID_EVENT', /at most 2 channels/)
  assertRefused(t, await signed(server, 'POST', '/events', { body: [{ name: 'e', data: '1', channel: 'a' }, { name: 'e', data: '1', channel: 'b' }] }),
    400, 'FST_BROADCASTT_INVALID_EVENT', /at most 1 events; it has 2/)
  assertRefused(t, await signed(server, 'POST', '/events', { body: { name: 'e', data: '123456789', channel: 'a' } }),
    413, 'FST_BROADCASTT_EVENT_TOO_LARGE', /9 bytes; the limit is 8/)
  assertRefused(t, await signed(server, 'POST', '/events', { body: { name: 'e', data: '1', channel: 'abcdefghijk' } }),
    400, 'FST_BROADCASTT_INVALID_EVENT', /longer than 10 characters/)
  t.same(await delivered(sub), [], 'nothing delivered')
  const ok = await signed(server, 'POST', '/events', { body: { name: 'e', data: '12345678', channels: ['a', 'b'] } })
  t.equal(ok.status, 200, 'at the limits is fine')
  t.same((await delivered(sub)).map((f) => f.channel), ['a', 'b'])
})

t.test('#server-to-user- channels are accepted', async (t) => {
  const server = await startServer(t)
  const response = await signed(server, 'POST', '/events', { body: { name: 'e', data: '1', channel: '#server-to-user-7' } })
  t.same([response.status, response.body], [200, {}])
})
