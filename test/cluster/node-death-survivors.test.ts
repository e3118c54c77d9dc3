/**
 * A node killed with SIGKILL while two or three survivors watch its presence member: exactly one survivor
 * reaps it, so each watcher sees member_removed once and the hooks fire once cluster-wide.
 */
import { once } from 'node:events'
import t from 'tap'
import { Redis } from 'ioredis'
import { startCluster } from '../helpers/cluster.js'
import { REDIS_URL } from '../helpers/redis.js'
import type { TestServer } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { signed } from '../http/helpers.js'
import { joined, presenceAuth } from '../channels/helpers.js'
import { nodeProcess, TTL_SECONDS } from './fixtures/node-process.js'

// Each test spawns a node process through the TypeScript loader and waits out its TTL; under a loaded CI machine
// with 4 files at once that is several times slower than alone (about 9 s alone), so the file asks for more time.
t.setTimeout(150_000)

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
