/**
 * A node killed with SIGKILL: the survivors remove its records once they expire (nodeTtlSeconds, short
 * here), send member_removed for its members, announce its users offline, and correct every count. On a
 * single Redis and on Redis Cluster.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { Redis } from 'ioredis'
import { startCluster } from '../helpers/cluster.js'
import { REDIS_URL } from '../helpers/redis.js'
import { CLUSTER_NODES } from '../helpers/redis-cluster.js'
import { TEST_APP, type TestServer } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { signed } from '../http/helpers.js'
import { joined, presenceAuth, signinData } from '../channels/helpers.js'
import { LOADER_ARGS } from '../loader/args.js'

const TTL_SECONDS = 1

async function nodeProcess (t: { teardown (fn: () => unknown): void }, keyPrefix: string, cluster: boolean) {
  const child = spawn(process.execPath, [...LOADER_ARGS, new URL('./fixtures/node.ts', import.meta.url).pathname], {
    env: {
      ...process.env,
      REDIS_URL,
      ...(cluster ? { CLUSTER_NODES: JSON.stringify(CLUSTER_NODES) } : {}),
      KEY_PREFIX: keyPrefix,
      NODE_TTL_SECONDS: String(TTL_SECONDS)
    },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const [chunk] = await once(child.stdout, 'data') as [Buffer]
  const { port } = JSON.parse(chunk.toString()) as { port: number }
  const server: Pick<TestServer, 'port' | 'wsUrl'> = {
    port, wsUrl: (key = TEST_APP.key) => `ws://127.0.0.1:${port}/app/${key}?protocol=7`
  }
  return { child, server }
}

for (const cluster of [false, true]) {
  t.test(`kill -9 of a node: its members leave, its users go offline, counts are corrected (${cluster ? 'Redis Cluster' : 'single Redis'})`, async (t) => {
    const nodes = await startCluster(t, 1, { apps: [{ ...TEST_APP, watchlist: true }] }, { nodeTtlSeconds: TTL_SECONDS, cluster })
    const [a] = nodes
    if (a === undefined) throw new Error('no node')
    const { child, server: doomed } = await nodeProcess(t, nodes.keyPrefix, cluster)

    const watcher = await open(t, a.wsUrl())
    watcher.send('pusher:signin', signinData(watcher, { id: 'w', watchlist: ['ghost'] }))
    await watcher.next('pusher:signin_success')
    await joined(watcher, 'presence-room', presenceAuth(watcher, 'presence-room', 'w'))

    const ghost = await open(t, doomed.wsUrl())
    ghost.send('pusher:signin', signinData(ghost, { id: 'ghost' }))
    await ghost.next('pusher:signin_success')
    await joined(ghost, 'presence-room', presenceAuth(ghost, 'presence-room', 'ghost'))
    await joined(ghost, 'news')
    await watcher.next('pusher_internal:member_added')
    await watcher.next('pusher_internal:watchlist_events')
    const before = await signed(a as TestServer, 'GET', '/channels', { query: { info: 'subscription_count' } })
    t.same(before.body, { channels: { 'presence-room': { subscription_count: 2 }, news: { subscription_count: 1 } } })

    const removed: string[] = []
    const vacated: string[] = []
    a.app.broadcastt.on('member_removed', ({ userId }) => { removed.push(userId) })
    a.app.broadcastt.on('channel_vacated', ({ channel }) => { vacated.push(channel) })
    child.kill('SIGKILL')
    await once(child, 'exit')
    const killedAt = Date.now()

    const bound = 15_000 // generous: the point is that they leave, not how fast a loaded machine gets there
    t.same((await watcher.next('pusher_internal:member_removed', bound)).json, { user_id: 'ghost' })
    t.comment(`reaped ${Date.now() - killedAt} ms after the kill (bound 1.25 × nodeTtlSeconds = ${1250 * TTL_SECONDS} ms, plus the refresh period)`)
    t.same((await watcher.next('pusher_internal:watchlist_events', bound)).json,
      { events: [{ name: 'offline', user_ids: ['ghost'] }] })
    t.same(removed, ['ghost'], 'member_removed once, by the survivor')
    t.same(vacated, ['news'], 'channel_vacated for the channel only the dead node served')
    const after = await signed(a, 'GET', '/channels', { query: { info: 'subscription_count' } })
    t.same(after.body, { channels: { 'presence-room': { subscription_count: 1 } } }, 'counts corrected')
    const users = await signed(a, 'GET', '/channels/presence-room/users')
    t.same(users.body, { users: [{ id: 'w' }] })
  })
}

for (const survivors of [2, 3]) {
  t.test(`kill -9 of a node with ${survivors} survivors: exactly one member_removed cluster-wide`, async (t) => {
    const nodes = await startCluster(t, survivors, {}, { nodeTtlSeconds: TTL_SECONDS })
    const { child, server: doomed } = await nodeProcess(t, nodes.keyPrefix, false)
    const watchers = []
    for (const [i, node] of nodes.entries()) {
      const watcher = await open(t, node.wsUrl())
      await joined(watcher, 'presence-room', presenceAuth(watcher, 'presence-room', `w${i}`))
      watchers.push(watcher)
    }
    const ghost = await open(t, doomed.wsUrl())
    await joined(ghost, 'presence-room', presenceAuth(ghost, 'presence-room', 'ghost'))
    for (const watcher of watchers) await watcher.next((f) => f.event === 'pusher_internal:member_added' && (f.json as { user_id: string }).user_id === 'ghost')

    const removed: string[] = []
    for (const node of nodes) node.app.broadcastt.on('member_removed', ({ userId }) => { removed.push(userId) })
    child.kill('SIGKILL')
    await once(child, 'exit')
    for (const watcher of watchers) {
      t.same((await watcher.next('pusher_internal:member_removed', 15_000)).json, { user_id: 'ghost' })
    }
    // Barrier: once the dead node is out of the node list no survivor's heartbeat can name it again, and a
    // reap already under way finds nothing left; then everything published has reached the watchers.
    const redis = new Redis(REDIS_URL)
    t.teardown(() => redis.quit())
    while (await redis.zcard(`${nodes.keyPrefix}{nodes}`) > survivors) await new Promise((resolve) => setTimeout(resolve, 20))
    for (const watcher of watchers) await watcher.settle()
    t.same(removed, ['ghost'], 'one survivor reaped it: member_removed once')
    for (const watcher of watchers) {
      t.same(watcher.frames.filter((f) => f.event.startsWith('pusher_internal:member')), [], 'no second member_removed')
    }
    const users = await signed(nodes[0] as TestServer, 'GET', '/channels/presence-room/users')
    t.same((users.body as { users: Array<{ id: string }> }).users.map((u) => u.id).sort(), watchers.map((_, i) => `w${i}`))
  })
}
