/** The `adapter` option: a host-owned adapter instance carries the plugin's deliveries and is not closed by it. */
import t from 'tap'
import { MemoryAdapter } from '../../src/adapters/memory.js'
import { startServer } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'

t.test('a host-owned adapter carries deliveries and stays open after the plugin closes', async (t) => {
  const adapter = new MemoryAdapter()
  let published = 0
  let closed = 0
  const publish = adapter.publish.bind(adapter)
  adapter.publish = async (...args) => { published++; await publish(...args) }
  adapter.close = async () => { closed++ }
  const server = await startServer(t, { adapter })
  const client = await open(t, server.wsUrl())
  t.match((await client.subscribe('news')).event, /subscription_succeeded$/)
  await server.app.broadcastt.trigger({ appId: 'test-id', channels: ['news'], name: 'hello', data: { n: 1 } })
  t.same((await client.next('hello')).json, { n: 1 })
  t.equal(published, 1, 'the event went through the injected adapter')
  await client.close()
  await server.app.close()
  t.equal(closed, 0, 'the plugin does not close an adapter it did not create')
})
