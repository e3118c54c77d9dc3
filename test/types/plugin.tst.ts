import Fastify from 'fastify'
import { expect, test } from 'tstyche'
import broadcastt, { type BroadcasttApi, type BroadcasttOptions, type ChannelInfo, type ChannelState } from '../../src/index.js'

test('register takes typed options', () => {
  const app = Fastify()
  expect(app.register(broadcastt, { apps: [{ id: 'a', key: 'k', secret: 's' }] })).type.not.toRaiseError()
  expect(app.register(broadcastt, {
    apps: [{ id: 'a', key: 'k', secret: 's', enabled: false, clientEvents: true, dialects: ['pusher'], limits: { eventDataBytes: 1 } }],
    prefix: '/ws',
    activityTimeout: 60
  })).type.not.toRaiseError()
  expect<BroadcasttOptions>().type.not.toBeAssignableFrom({ apps: [{ id: 'a', key: 'k' }] })
  expect<BroadcasttOptions>().type.not.toBeAssignableFrom({ apps: [{ id: 'a', key: 'k', secret: 's', dialects: ['mqtt'] }] })
  expect<BroadcasttOptions>().type.not.toBeAssignableFrom({ apps: [], activityTimeout: '120' })
  expect(app.register(broadcastt, { apps: [], console: { enabled: true, token: 'a-token-of-16-chars', path: '/debug' } }))
    .type.not.toRaiseError()
  expect<BroadcasttOptions>().type.not.toBeAssignableFrom({ apps: [], console: { enabled: 'yes' } })
})

test('fastify.broadcastt is the typed API', () => {
  const app = Fastify()
  expect(app.broadcastt).type.toBe<BroadcasttApi>()
  expect(app.broadcastt.trigger({ appId: 'a', channels: ['c'], name: 'e', data: { x: 1 } })).type.toBe<Promise<void>>()
  expect(app.broadcastt.trigger({ appId: 'a', channels: ['c'], name: 'e', data: 'x', socketId: '1.2' })).type.toBe<Promise<void>>()
  expect(app.broadcastt.trigger).type.not.toBeCallableWith({ appId: 'a', channel: 'c', name: 'e', data: {} })
  expect(app.broadcastt.channels('a', { prefix: 'presence-' })).type.toBe<Promise<Record<string, ChannelInfo>>>()
  expect(app.broadcastt.channel('a', 'c')).type.toBe<Promise<ChannelState>>()
})

test('hub events have typed payloads', () => {
  const app = Fastify()
  app.broadcastt.on('channel_occupied', (event) => {
    expect(event).type.toBe<{ appId: string, channel: string }>()
  })
  app.broadcastt.on('subscribed', (event) => {
    expect(event).type.toBe<{ appId: string, channel: string, socketId: string }>()
  })
  app.broadcastt.on('event_triggered', (event) => {
    expect(event.channels).type.toBe<readonly string[]>()
    expect(event.socketId).type.toBe<string | undefined>()
  })
  expect(app.broadcastt.on).type.not.toBeCallableWith('no_such_event', () => {})
})
