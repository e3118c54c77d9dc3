/**
 * The trigger form's route: the REST API's body, rules and backend rate, answered as the REST API answers.
 */
import t from 'tap'
import { open } from '../helpers/ws-client.js'
import { TEST_APP } from '../helpers/server.js'
import { signed } from '../http/helpers.js'
import { BEARER, startConsole, type ConsoleServer } from './helpers.js'

async function trigger (server: ConsoleServer, body: unknown, appId = TEST_APP.id): Promise<{ status: number, body: unknown }> {
  const res = await fetch(`${server.base}/api/apps/${appId}/events`, {
    method: 'POST', headers: { ...BEARER, 'content-type': 'application/json' }, body: JSON.stringify(body)
  })
  return { status: res.status, body: await res.json() }
}

t.test('an event from the form reaches subscribers, except the excluded socket, and the answer counts them', async (t) => {
  const server = await startConsole(t)
  const a = await open(t, server.wsUrl())
  const b = await open(t, server.wsUrl())
  await a.subscribe('news')
  await b.subscribe('news')
  const answer = await trigger(server, { name: 'flash', channels: ['news'], data: '{"hot":true}', socket_id: b.socketId, info: 'subscription_count' })
  t.same(answer, { status: 200, body: { channels: { news: { subscription_count: 2 } } } })
  const frame = await a.next('flash')
  t.same(frame.json, { hot: true })
  t.same(await b.settle(), [], 'the excluded socket got nothing')
  t.same(await trigger(server, { name: 'plain', channel: 'news', data: 'not json' }), { status: 200, body: {} })
  t.equal((await a.next('plain')).data, 'not json', 'data is delivered as given, as by the REST API')
})

t.test('refused as the REST API refuses, with the same codes and messages', async (t) => {
  const server = await startConsole(t, {
    apps: [{ ...TEST_APP, limits: { eventDataBytes: 20 } }, { id: 'off', key: 'off-key', secret: 's', enabled: false }]
  })
  const bad = { name: 'e', channels: ['bad channel'], data: '{}' }
  const fromConsole = await trigger(server, bad)
  const fromRest = await signed(server, 'POST', '/events', { body: bad })
  t.equal(fromConsole.status, 400)
  t.same(fromConsole.body, fromRest.body, 'the same answer as POST /apps/:id/events')
  t.match(await trigger(server, { name: 'e', channel: 'c', data: 'x'.repeat(21) }), { status: 413, body: { code: 'FST_BROADCASTT_EVENT_TOO_LARGE' } })
  t.match(await trigger(server, { name: 'e', channel: 'c', channels: ['c'], data: '{}' }), { status: 400, body: { message: 'Give either channels or channel, not both' } })
  t.match(await trigger(server, { channel: 'c', data: '{}' }), { status: 400, body: { code: 'FST_BROADCASTT_INVALID_REQUEST' } })
  t.match(await trigger(server, { name: 'e', channel: 'c', data: '{}' }, 'nope'), { status: 404, body: { code: 'FST_BROADCASTT_UNKNOWN_APP' } })
  t.match(await trigger(server, { name: 'e', channel: 'c', data: '{}' }, 'off'), { status: 403, body: { code: 'FST_BROADCASTT_APP_DISABLED' } })
})

const FROZEN = Date.now() // the bucket does not refill during the test

t.test('the form and the REST API spend one backend budget per app', async (t) => {
  const server = await startConsole(t, {
    apps: [{ ...TEST_APP, limits: { backendEventsPerSecond: 2 } }],
    clock: {
      now: () => FROZEN, setInterval: (fn: () => void, ms: number) => setInterval(fn, ms), clearInterval: (timer: never) => { clearInterval(timer) }
    }
  })
  const event = { name: 'e', channel: 'c', data: '{}' }
  t.equal((await trigger(server, event)).status, 200)
  t.equal((await signed(server, 'POST', '/events', { body: event })).status, 200)
  t.match(await trigger(server, event), { status: 429, body: { code: 'FST_BROADCASTT_RATE_LIMITED' } }, 'the third event of the second is refused')
})
