/**
 * Adapter failures reach the client as an answer, never a hang (issue #7, defect 10): a subscribe whose
 * adapter call fails or does not answer within `adapterTimeoutMs` gets `subscription_error` with status 500
 * and leaves nothing behind (not in the channel, not in presence); the client can retry.
 */
import t from 'tap'
import { GatedAdapter } from '../helpers/gated-adapter.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { joined, presenceAuth } from '../channels/helpers.js'

const KINDS = [
  ['adapter.subscribe', 'subscribe', 'news'],
  ['adapter.getCache', 'getCache', 'cache-news'],
  ['adapter.addMember', 'addMember', 'presence-room']
] as const

for (const mode of ['fail', 'hang'] as const) {
  t.test(`a subscribe whose adapter call ${mode === 'fail' ? 'fails' : 'never answers'}: 500, no half state`, async (t) => {
    const adapter = new GatedAdapter()
    const server = await startServer(t, { adapter, adapterTimeoutMs: 50 })
    for (const [what, method, channel] of KINDS) {
      const client = await open(t, server.wsUrl())
      const extra = channel.startsWith('presence-') ? presenceAuth(client, channel, 'u1') : {}
      adapter[mode](method)
      const reply = await client.subscribe(channel, 'pusher', extra)
      t.equal(reply.event, 'pusher:subscription_error', `${what}: subscription_error`)
      t.match(reply.json, { type: 'InternalError', status: 500 }, `${what}: status 500`)
      adapter.release(method)
      t.same(await server.app.broadcastt.channel(TEST_APP.id, channel).then((c) => c.subscriptionCount), 0,
        `${what}: not subscribed`)
      if (channel.startsWith('presence-')) {
        t.same(await server.app.broadcastt.members(TEST_APP.id, channel), [], `${what}: not a member`)
      }
      await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: [channel], name: 'missed', data: {} })
      t.same((await client.settle()).filter((f) => f.event === 'missed'), [], `${what}: no events of the channel`)
      const retry = await joined(client, channel, extra)
      t.match(retry.event, /subscription_succeeded$/, `${what}: a retry succeeds`)
      t.equal(client.ws.readyState, client.ws.OPEN, `${what}: the connection stays open`)
    }
  })
}

t.test('REST and programmatic queries time out instead of hanging', async (t) => {
  const adapter = new GatedAdapter()
  const server = await startServer(t, { adapter, adapterTimeoutMs: 50 })
  adapter.hang('channels')
  await t.rejects(server.app.broadcastt.channels(TEST_APP.id), { name: 'AdapterTimeoutError' })
})
