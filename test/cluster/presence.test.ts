/**
 * Presence across nodes: one member list for the cluster, member_added / member_removed exactly once per
 * user (also when the same user joins on two nodes at the same instant), and none lost while joining.
 */
import t, { type Test } from 'tap'
import { startCluster } from '../helpers/cluster.js'
import { open, type TestClient } from '../helpers/ws-client.js'
import { joined, presenceAuth, serverClosed } from '../channels/helpers.js'
import { TEST_APP } from '../helpers/server.js'
import type { TestServer } from '../helpers/server.js'

const room = 'presence-room'

async function member (t: Test, server: TestServer, userId: string):
Promise<{ client: TestClient, ids: string[] }> {
  const client = await open(t, server.wsUrl())
  const reply = await joined(client, room, presenceAuth(client, room, userId))
  return { client, ids: (reply.json as { presence: { ids: string[] } }).presence.ids }
}

t.test('members on two nodes see one list and each other come and go, once', async (t) => {
  const [a, b] = await startCluster(t, 2)
  if (a === undefined || b === undefined) throw new Error('no nodes')
  const added: string[] = []
  const removed: string[] = []
  for (const node of [a, b]) {
    node.app.broadcastt.on('member_added', ({ userId }) => { added.push(userId) })
    node.app.broadcastt.on('member_removed', ({ userId }) => { removed.push(userId) })
  }
  const ann = await member(t, a, 'ann')
  t.same(ann.ids, ['ann'])
  const bob = await member(t, b, 'bob')
  t.same(bob.ids.sort(), ['ann', 'bob'])
  t.same((await ann.client.next('pusher_internal:member_added')).json, { user_id: 'bob', user_info: null })
  const bob2 = await member(t, a, 'bob')
  t.same(bob2.ids.sort(), ['ann', 'bob'], 'a second connection of bob, on the other node')
  const users = await a.app.broadcastt.members(TEST_APP.id, room)
  t.same(users.map((u) => u.id).sort(), ['ann', 'bob'])
  t.same(await b.app.broadcastt.channel(TEST_APP.id, room), { occupied: true, subscriptionCount: 3, userCount: 2 })
  const bobGone = serverClosed(b.app, bob.client)
  await bob.client.close()
  await bobGone // node b has seen the close: settle() then waits for the leave it started
  t.same(await ann.client.settle(), [], 'bob still has a connection: no member_removed')
  await bob2.client.close()
  t.same((await ann.client.next('pusher_internal:member_removed')).json, { user_id: 'bob' })
  t.same(added.sort(), ['ann', 'bob'], 'member_added once per user, cluster-wide')
  t.same(removed, ['bob'])
})

t.test('the same user joining on two nodes at the same instant: one member_added', async (t) => {
  const [a, b, c] = await startCluster(t, 3)
  if (a === undefined || b === undefined || c === undefined) throw new Error('no nodes')
  const watcher = await member(t, c, 'watcher')
  let added = 0
  for (const node of [a, b, c]) node.app.broadcastt.on('member_added', ({ userId }) => { if (userId === 'dup') added++ })
  const one = await open(t, a.wsUrl())
  const two = await open(t, b.wsUrl())
  const replies = await Promise.all([
    joined(one, room, presenceAuth(one, room, 'dup')), joined(two, room, presenceAuth(two, room, 'dup'))
  ])
  for (const reply of replies) t.ok((reply.json as { presence: { ids: string[] } }).presence.ids.includes('dup'))
  t.same((await watcher.client.next('pusher_internal:member_added')).json, { user_id: 'dup', user_info: null })
  t.same((await watcher.client.settle()).filter((f) => f.event.endsWith('member_added')), [], 'only once')
  t.equal(added, 1)
  const gone = [serverClosed(a.app, one), serverClosed(b.app, two)]
  await Promise.all([one.close(), two.close(), ...gone])
  t.same((await watcher.client.next('pusher_internal:member_removed')).json, { user_id: 'dup' })
  t.same((await watcher.client.settle()).filter((f) => f.event.endsWith('member_removed')), [], 'only once')
})

t.test('a joiner never misses, nor gets twice, a member change made while it joins', async (t) => {
  const [a, b] = await startCluster(t, 2)
  if (a === undefined || b === undefined) throw new Error('no nodes')
  for (let round = 0; round < 10; round++) {
    const channel = `presence-race-${round}`
    const joiner = await open(t, a.wsUrl())
    const other = await open(t, b.wsUrl())
    const [reply] = await Promise.all([
      joined(joiner, channel, presenceAuth(joiner, channel, 'j')),
      joined(other, channel, presenceAuth(other, channel, 'o'))
    ])
    // A marker published by node b after its member_added: every member event for the joiner is before it.
    await b.app.broadcastt.trigger({ appId: TEST_APP.id, channels: [channel], name: 'marker', data: {} })
    await joiner.next('marker')
    const ids = new Set((reply.json as { presence: { ids: string[] } }).presence.ids)
    const events = (await joiner.settle()).filter((f) => f.channel === channel)
    for (const f of events) {
      const { user_id: id } = f.json as { user_id: string }
      if (f.event.endsWith('member_added')) ids.add(id)
    }
    t.same([...ids].sort(), ['j', 'o'], `round ${round}: the joiner knows both members`)
    t.ok(events.length <= 1, `round ${round}: at most one member event`)
    if (events.length === 1) t.notOk((reply.json as { presence: { ids: string[] } }).presence.ids.includes('o'), 'not both list and event')
    await Promise.all([joiner.close(), other.close()])
  }
})
