/**
 * Limits of signed-in users (issue #7, defect 7): a user id must be able to form its `#server-to-user-{id}`
 * channel (else the sign-in is refused with 4009), and a signed-in user's `user_info` used as its presence
 * member is held to the app's `presenceMemberBytes`, as `channel_data` is.
 */
import t from 'tap'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { signChannel } from '../../src/auth/channel-auth.js'
import { APP, joined, signinData } from '../channels/helpers.js'

t.test('user ids that cannot form #server-to-user-{id} are refused at sign-in', async (t) => {
  const server = await startServer(t)
  const refused: Array<[string, string]> = [
    ['a space', 'ann smith'], ['a slash', 'a/b'], ['a hash', 'a#b'], ['non-ASCII', 'zoë'], ['a newline', 'a\nb'],
    ['129 characters', 'u'.repeat(129)]
  ]
  for (const [what, id] of refused) {
    const client = await open(t, server.wsUrl())
    client.send('pusher:signin', signinData(client, { id }))
    const error = await client.next('pusher:error')
    t.match(error.json, { code: 4009, message: /Sign-in failed: user id/ }, `${what}: error 4009`)
    t.equal((await client.closed).code, 4009, `${what}: closed 4009`)
  }
  for (const id of ['u'.repeat(128), 'ann@example.com', 'a-b_c=d,e.f;g', '42']) {
    const client = await open(t, server.wsUrl())
    client.send('pusher:signin', signinData(client, { id }))
    await client.next('pusher:signin_success')
    await joined(client, `#server-to-user-${id}`)
    await server.app.broadcastt.sendToUser(TEST_APP.id, id, 'hello', { to: id })
    t.match(await client.next('hello'), { json: { to: id } }, `${id.slice(0, 20)}: signs in and gets its user events`)
  }
})

t.test('the id limit follows a smaller nameLength', async (t) => {
  const server = await startServer(t, { apps: [{ ...TEST_APP, limits: { nameLength: 40 } }] })
  const client = await open(t, server.wsUrl())
  client.send('pusher:signin', signinData(client, { id: 'u'.repeat(25) }))
  t.match((await client.next('pusher:error')).json, { code: 4009, message: /longer than 40/ })
})

t.test('a signed-in user\'s user_info joins presence only within presenceMemberBytes', async (t) => {
  const server = await startServer(t, { apps: [{ ...TEST_APP, limits: { presenceMemberBytes: 200 } }] })
  const big = await open(t, server.wsUrl())
  big.send('pusher:signin', signinData(big, { id: 'big', user_info: { bio: 'x'.repeat(300) } }))
  await big.next('pusher:signin_success')
  const reply = await big.subscribe('presence-room', 'pusher', { auth: signChannel(APP, big.socketId, 'presence-room') })
  t.equal(reply.event, 'pusher:subscription_error')
  t.match(reply.json, { type: 'AuthError', status: 401, error: /user_info is \d+ bytes; the limit is 200/ })
  t.same(await server.app.broadcastt.members(TEST_APP.id, 'presence-room'), [], 'not a member')

  const small = await open(t, server.wsUrl())
  small.send('pusher:signin', signinData(small, { id: 'small', user_info: { bio: 'short' } }))
  await small.next('pusher:signin_success')
  t.match(await joined(small, 'presence-room', { auth: signChannel(APP, small.socketId, 'presence-room') }), { json: { presence: { ids: ['small'] } } })
})
