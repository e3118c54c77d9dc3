import t from 'tap'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open, type TestClient } from '../helpers/ws-client.js'
import { serverClosed, signinData } from '../channels/helpers.js'

const WATCHING = { ...TEST_APP, watchlist: true }

async function signIn (client: TestClient, user: Record<string, unknown>, prefix = 'pusher'): Promise<void> {
  client.send(`${prefix}:signin`, signinData(client, user))
  await client.next(`${prefix}:signin_success`)
}

const events = (frame: { json: unknown }) => (frame.json as { events: unknown[] }).events

t.test('online on the first connection, offline after the last; the current state on sign-in', async (t) => {
  const server = await startServer(t, { apps: [WATCHING] })
  const nine = await open(t, server.wsUrl())
  await signIn(nine, { id: '9' })

  const watcher = await open(t, server.wsUrl())
  await signIn(watcher, { id: '1', watchlist: ['9', '10'] })
  t.same(events(await watcher.next('pusher_internal:watchlist_events')), [{ name: 'online', user_ids: ['9'] }],
    'who is online right now')

  const other = await open(t, server.wsUrl(TEST_APP.key, ''))
  await signIn(other, { id: '2', watchlist: ['10'] }, 'broadcastt')
  t.same(await other.settle('broadcastt'), [], 'nobody on its watchlist is online: nothing')

  const ten = await open(t, server.wsUrl())
  await signIn(ten, { id: '10' })
  t.same(events(await watcher.next('pusher_internal:watchlist_events')), [{ name: 'online', user_ids: ['10'] }])
  t.same(events(await other.next('broadcastt_internal:watchlist_events')), [{ name: 'online', user_ids: ['10'] }])

  const tenAgain = await open(t, server.wsUrl())
  await signIn(tenAgain, { id: '10' })
  const tenGone = serverClosed(server.app, ten)
  await ten.close()
  await tenGone
  t.same(await watcher.settle(), [], 'a second connection and its first one leaving change nothing')
  await tenAgain.close()
  t.same(events(await watcher.next('pusher_internal:watchlist_events')), [{ name: 'offline', user_ids: ['10'] }])
  t.same(events(await other.next('broadcastt_internal:watchlist_events')), [{ name: 'offline', user_ids: ['10'] }])
  t.same(await nine.settle(), [], 'a user without a watchlist hears nothing')
})

t.test('more than 100 ids: error 4302, the first 100 are kept, the connection stays', async (t) => {
  const server = await startServer(t, { apps: [WATCHING] })
  const ids = Array.from({ length: 105 }, (_, i) => `u${i}`)
  const watcher = await open(t, server.wsUrl())
  watcher.send('pusher:signin', signinData(watcher, { id: 'w', watchlist: ids }))
  await watcher.next('pusher:signin_success')
  t.match((await watcher.next('pusher:error')).json, { code: 4302, message: /100/ })
  for (const id of ['u99', 'u100']) {
    const user = await open(t, server.wsUrl())
    await signIn(user, { id })
  }
  t.same(events(await watcher.next('pusher_internal:watchlist_events')), [{ name: 'online', user_ids: ['u99'] }])
  t.same(await watcher.settle(), [], 'u100 is beyond the kept ids')
  t.equal(watcher.ws.readyState, watcher.ws.OPEN)
})

t.test('without the app option, watchlists are ignored', async (t) => {
  const server = await startServer(t)
  const watcher = await open(t, server.wsUrl())
  await signIn(watcher, { id: '1', watchlist: ['2'] })
  const two = await open(t, server.wsUrl())
  await signIn(two, { id: '2' })
  const gone = serverClosed(server.app, two)
  await two.close()
  await gone
  t.same(await watcher.settle(), [])
})
