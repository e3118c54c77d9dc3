import Fastify from 'fastify'
import { expect, test } from 'tstyche'
import broadcastt, { type AppInput, type AppStore, type BroadcasttOptions } from '../../src/index.js'

test('appStore takes a PostgreSQL configuration or the host\'s typed store', () => {
  const app = Fastify()
  expect(app.register(broadcastt, { appStore: { type: 'postgres', url: 'postgres://db/realtime' } })).type.not.toRaiseError()
  expect(app.register(broadcastt, {
    apps: [{ id: 'a', key: 'k', secret: 's' }],
    appStore: { type: 'postgres', url: 'postgres://db/realtime', table: 'tenants', poolSize: 2 },
    appCache: { ttlMs: 1000, lookupsPerSecond: 50 }
  })).type.not.toRaiseError()
  const store: AppStore = {
    byKey: async (key) => key === 'k' ? { id: 'a', key, secret: 's', limits: { maxConnections: 10 } } : undefined,
    byId: async () => null
  }
  expect(app.register(broadcastt, { appStore: store })).type.not.toRaiseError()
  expect<AppStore>().type.not.toBeAssignableFrom({ byKey: async () => undefined })
  expect<AppStore>().type.not.toBeAssignableFrom({ byKey: (key: string) => ({ id: 'a', key, secret: 's' }), byId: async () => undefined })
  expect<BroadcasttOptions>().type.not.toBeAssignableFrom({ appStore: { type: 'mysql', url: 'mysql://db' } })
  expect<BroadcasttOptions>().type.not.toBeAssignableFrom({ appCache: { ttl: 5 } })
  expect<Parameters<AppStore['byKey']>[0]>().type.toBe<string>()
  expect<Awaited<ReturnType<AppStore['byId']>>>().type.toBe<AppInput | null | undefined>()
})

test('appChanged is on the API', () => {
  const app = Fastify()
  expect(app.broadcastt.appChanged('a')).type.toBe<Promise<void>>()
  app.broadcastt.on('app_changed', (event) => {
    expect(event).type.toBe<{ appId: string, change: 'updated' | 'disabled' | 'deleted', connections: number }>()
  })
})
