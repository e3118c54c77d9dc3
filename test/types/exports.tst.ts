import { expect, test } from 'tstyche'
import {
  MemoryAdapter, RedisAdapter, type Adapter, type App, type AppStore, type BroadcasttOptions, type ClusterMessage,
  type RedisAdapterOptions, type ResolvedOptions, type RestOptions, type WebhookConfig
} from '../../src/index.js'

test('the adapters are exported from the package root and implement Adapter', () => {
  expect(new MemoryAdapter()).type.toBeAssignableTo<Adapter>()
  expect(new RedisAdapter({ url: 'redis://127.0.0.1:6379' })).type.toBeAssignableTo<Adapter>()
  expect<RedisAdapterOptions>().type.not.toBeAssignableFrom({ url: 6379 })
  expect<BroadcasttOptions['adapter']>().type.toBeAssignableFrom(new MemoryAdapter())
  expect<Adapter['publish']>().type.toBeCallableWith({ type: 'event', appId: 'a', channel: 'c', name: 'e', data: 'x' } as ClusterMessage)
})

test('App, AppStore and the option types are exported', () => {
  const store: AppStore = { byKey: async () => undefined, byId: async () => null }
  expect(store).type.toBeAssignableTo<AppStore>()
  expect<App['id']>().type.toBe<string>()
  expect<RestOptions>().type.toBe<ResolvedOptions['rest']>()
  expect<RestOptions['openapi']>().type.toBe<boolean>()
  expect<WebhookConfig['eventTypes']>().type.not.toBe<unknown>()
})
