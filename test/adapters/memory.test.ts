import t from 'tap'
import { MemoryAdapter, MemoryBroker } from '../../src/adapters/memory.js'
import { adapterSuite } from './adapter-suite.js'

adapterSuite(t, async () => {
  let time = 1_000_000
  const broker = new MemoryBroker(() => time)
  return { node: async () => new MemoryAdapter({ broker }), advance: (ms) => { time += ms } }
})
