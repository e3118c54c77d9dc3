/** The adapter conformance suite against real Redis: nodes of one cluster share a key prefix. */
import t from 'tap'
import { HoldingProxy } from '../helpers/holding-proxy.js'
import { redisAdapter, REDIS_URL, testPrefix } from '../helpers/redis.js'
import { adapterSuite, RecordingNode } from './adapter-suite.js'

adapterSuite(t, async (t) => {
  const prefix = testPrefix(t)
  return { node: async () => redisAdapter(prefix) }
})

t.test('barrier: waits for a message still on its way to the node, however long it takes', async (t) => {
  const prefix = testPrefix(t)
  const proxy = await HoldingProxy.start(t, REDIS_URL)
  const a = redisAdapter(prefix)
  const b = redisAdapter(prefix, { url: proxy.url })
  const nodeA = new RecordingNode()
  const nodeB = new RecordingNode()
  await a.attach(nodeA)
  await b.attach(nodeB)
  t.teardown(async () => { await Promise.all([a.close(), b.close()]) })
  await b.subscribe('a', 'ch')
  proxy.hold()
  await a.publish({ type: 'event', appId: 'a', channel: 'ch', name: 'late', data: '{}' })
  let done = false
  const barrier = b.barrier().finally(() => { done = true })
  await a.barrier() // a's own barrier is not held
  t.notOk(done, 'b\'s barrier waits while its messages are held')
  t.same(nodeB.received, [], 'the event has not arrived')
  proxy.release()
  await barrier
  t.same(nodeB.received.map((m) => m.type === 'event' ? m.name : m.type), ['late'], 'it has once the barrier resolved')
})

t.test('attach() resolves once the node is ready: its state written back and its subscriber listening', async (t) => {
  const prefix = testPrefix(t)
  // The subscription used to be confirmed after attach() resolved, so ready() was briefly false (the
  // cluster queries of a just-started node answered 503); 30 attaches would all but surely catch it.
  for (let i = 0; i < 30; i++) {
    const adapter = redisAdapter(prefix)
    await adapter.attach(new RecordingNode())
    const ready = adapter.ready()
    await adapter.close()
    if (!ready) {
      t.fail(`ready() was false right after attach() (attach ${i + 1})`)
      return
    }
  }
  t.pass('ready() held right after each of 30 attaches')
})
