import Fastify from 'fastify'
import { expect, test } from 'tstyche'
import broadcastt, { type BroadcasttOptions, type Readiness } from '../../src/index.js'

test('the operational options are typed', () => {
  const app = Fastify()
  expect(app.register(broadcastt, {
    apps: [{ id: 'a', key: 'k', secret: 's', limits: { readRequestsPerSecond: 5 } }],
    health: true,
    maxConnectionsPerIp: 10,
    metrics: { enabled: true, endpoint: false, appLabels: 10 },
    shutdown: { drainWindowMs: 1000 }
  })).type.not.toRaiseError()
  expect<BroadcasttOptions>().type.not.toBeAssignableFrom({ apps: [], metrics: { enabled: 'yes' } })
  expect<BroadcasttOptions>().type.not.toBeAssignableFrom({ apps: [], shutdown: { drainWindow: 1000 } })
})

test('readiness, metrics and the connection events are typed', () => {
  const app = Fastify()
  expect(app.broadcastt.readiness()).type.toBe<Readiness>()
  expect<Readiness>().type.toBe<'ready' | 'degraded' | 'starting' | 'draining' | 'adapter_unavailable'>()
  expect(app.broadcastt.metrics()).type.toBe<Promise<{ contentType: string, body: string }>>()
  app.broadcastt.on('connection_closed', (event) => {
    expect(event.code).type.toBe<number | undefined>()
  })
})
