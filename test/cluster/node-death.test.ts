/**
 * A node killed with SIGKILL: the survivors remove its records once they expire (nodeTtlSeconds, short
 * here), send member_removed for its members, announce its users offline, and correct every count. On a
 * single Redis and on Redis Cluster.
 */
import { once } from 'node:events'
import t from 'tap'
import { startCluster } from '../helpers/cluster.js'
import { TEST_APP, type TestServer } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { signed } from '../http/helpers.js'
import { joined, presenceAuth, signinData } from '../channels/helpers.js'
import { nodeProcess, TTL_SECONDS } from './fixtures/node-process.js'

// Each test spawns a node process through the TypeScript loader and waits out its TTL; under a loaded CI machine
// with 4 files at once that is several times slower than alone (about 9 s alone), so the file asks for more time.
t.setTimeout(150_000)

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
