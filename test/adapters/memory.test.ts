import t from 'tap'
import { MemoryAdapter } from '../../src/adapters/memory.js'
import { adapterSuite } from './adapter-suite.js'

adapterSuite(t, async (now) => new MemoryAdapter({ now }))
