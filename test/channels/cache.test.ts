import t from 'tap'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { joined, presenceAuth, privateAuth } from './helpers.js'

const auth = {
  'cache-news': () => ({}),
  'private-cache-news': privateAuth,
  'presence-cache-news': (c: Parameters<typeof privateAuth>[0], ch: string) => presenceAuth(c, ch, 'u1'),
  'private-encrypted-cache-news': privateAuth
} as const
const CHANNELS = Object.keys(auth) as Array<keyof typeof auth>

t.test('all four cache kinds: cache_miss first, then the last triggered event right after success', async (t) => {
  const server = await startServer(t, { clock: t.clock })
  const misses: string[] = []
  server.app.broadcastt.on('cache_miss', (e) => { misses.push(e.channel) })
  for (const [prefix, query] of [['pusher', 'protocol=7'], ['broadcastt', '']] as const) {
    for (const channel of CHANNELS) {
      const client = await open(t, server.wsUrl(TEST_APP.key, query))
      await joined(client, channel, auth[channel](client, channel), prefix)
      const miss = await client.next()
      t.same({ event: miss.event, channel: miss.channel, data: miss.data },
        { event: `${prefix}:cache_miss`, channel, data: '{}' }, `${prefix} ${channel}: miss`)
      await client.close()
    }
  }
  t.same(misses, [...CHANNELS, ...CHANNELS], 'a cache_miss hook event per miss')

  for (const channel of CHANNELS) {
    await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: [channel], name: 'old', data: { n: 1 } })
    await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: [channel], name: 'headline', data: 'not json' })
  }
  for (const [prefix, query] of [['pusher', 'protocol=7'], ['broadcastt', '']] as const) {
    for (const channel of CHANNELS) {
      const client = await open(t, server.wsUrl(TEST_APP.key, query))
      await joined(client, channel, auth[channel](client, channel), prefix)
      const cached = await client.next()
      t.equal(cached.event, 'headline', `${prefix} ${channel}: the last event, right after success`)
      t.equal(cached.channel, channel)
      t.equal(cached.data, prefix === 'pusher' ? 'not json' : '"not json"', 'encoded for the dialect')
      t.same(await client.settle(prefix), [], 'nothing else')
      await client.close()
    }
  }
  t.equal(misses.length, CHANNELS.length * 2, 'no more misses')
})

t.test('the cache expires after cacheTtlSeconds; info=cache reports data and ttl', async (t) => {
  const server = await startServer(t, { clock: t.clock, apps: [{ ...TEST_APP, limits: { cacheTtlSeconds: 60 } }] })
  const api = server.app.broadcastt
  await api.trigger({ appId: TEST_APP.id, channels: ['cache-x'], name: 'v', data: { v: 1 } })
  t.same(await api.cache(TEST_APP.id, 'cache-x'), { event: 'v', data: '{"v":1}', ttl: 60 })
  t.clock.advance(20_500)
  t.same(await api.cache(TEST_APP.id, 'cache-x'), { event: 'v', data: '{"v":1}', ttl: 40 }, 'seconds left, rounded up')
  const early = await open(t, server.wsUrl())
  await joined(early, 'cache-x')
  t.equal((await early.next()).event, 'v')
  t.clock.advance(39_500)
  t.equal(await api.cache(TEST_APP.id, 'cache-x'), undefined, 'expired')
  const late = await open(t, server.wsUrl())
  await joined(late, 'cache-x')
  t.equal((await late.next()).event, 'pusher:cache_miss', 'an expired event is a miss')
  t.equal(await api.cache(TEST_APP.id, 'cache-none'), undefined)
})

t.test('the default TTL is 30 minutes; a new event restarts it', async (t) => {
  const server = await startServer(t, { clock: t.clock })
  const api = server.app.broadcastt
  await api.trigger({ appId: TEST_APP.id, channels: ['cache-x'], name: 'a', data: {} })
  t.equal((await api.cache(TEST_APP.id, 'cache-x'))?.ttl, 1800)
  t.clock.advance(1_000_000)
  await api.trigger({ appId: TEST_APP.id, channels: ['cache-x'], name: 'b', data: {} })
  t.clock.advance(1_000_000)
  t.same(await api.cache(TEST_APP.id, 'cache-x'), { event: 'b', data: '{}', ttl: 800 })
})

t.test('client events and non-cache channels are not cached; subscribing twice does not replay', async (t) => {
  const server = await startServer(t)
  const api = server.app.broadcastt
  const a = await open(t, server.wsUrl())
  const b = await open(t, server.wsUrl())
  const channel = 'private-cache-chat'
  await joined(a, channel, privateAuth(a, channel))
  t.equal((await a.next()).event, 'pusher:cache_miss')
  await joined(b, channel, privateAuth(b, channel))
  t.equal((await b.next()).event, 'pusher:cache_miss')
  a.send('client-typing', { who: 'a' }, channel)
  t.equal((await b.next('client-typing')).channel, channel)
  t.equal(await api.cache(TEST_APP.id, channel), undefined, 'a client event is not cached')

  await api.trigger({ appId: TEST_APP.id, channels: [channel, 'plain'], name: 'e', data: {} })
  t.equal(await api.cache(TEST_APP.id, 'plain'), undefined, 'a plain channel keeps nothing')
  await a.next('e')
  const again = await a.subscribe(channel, 'pusher', privateAuth(a, channel))
  t.equal(again.event, 'pusher_internal:subscription_succeeded')
  t.same(await a.settle(), [], 'a second subscribe replays nothing')
})
