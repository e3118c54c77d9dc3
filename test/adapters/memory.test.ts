import t from 'tap'
import { MemoryAdapter, MemoryBroker } from '../../src/adapters/memory.js'
import { adapterSuite, RecordingNode } from './adapter-suite.js'

adapterSuite(t, async () => {
  let time = 1_000_000
  const broker = new MemoryBroker(() => time)
  return { node: async () => new MemoryAdapter({ broker }), advance: (ms) => { time += ms } }
})

t.test('no per-channel state outlives its channel (sequence numbers included)', async (t) => {
  const broker = new MemoryBroker()
  const adapter = new MemoryAdapter({ broker })
  await adapter.attach(new RecordingNode())
  const seqs: number[] = []
  for (let i = 0; i < 2000; i++) {
    const joined = await adapter.addMember('a', `presence-${i}`, '1.1', { id: 'u', info: null }, 100)
    const left = await adapter.removeMember('a', `presence-${i}`, '1.1')
    if (joined.ok) seqs.push(joined.seq)
    if (left !== undefined) seqs.push(left.seq)
  }
  t.equal(seqs.length, 4000)
  t.ok(seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] as number)), 'the numbers only grow')
  const left = Object.entries(broker).filter(([name, value]) => name !== 'nodes' && value instanceof Map && value.size > 0)
  t.same(left.map(([name]) => name), [], 'every per-channel map of the broker is empty')
})
