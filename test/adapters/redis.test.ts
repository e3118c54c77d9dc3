/** The adapter conformance suite against real Redis: nodes of one cluster share a key prefix. */
import t from 'tap'
import { redisAdapter, testPrefix } from '../helpers/redis.js'
import { adapterSuite } from './adapter-suite.js'

adapterSuite(t, async (t) => {
  const prefix = testPrefix(t)
  return { node: async () => redisAdapter(prefix) }
})
