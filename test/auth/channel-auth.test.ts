import t from 'tap'
import Pusher from 'pusher'
import {
  channelSignatureString, signChannel, signUser, userSignatureString, verifyChannelAuth, verifyUserAuth
} from '../../src/auth/channel-auth.js'

const app = { key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' }
const vectorHex = '58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4'
const pusher = new Pusher({
  appId: '3',
  key: app.key,
  secret: app.secret,
  host: '127.0.0.1',
  encryptionMasterKeyBase64: Buffer.alloc(32, 7).toString('base64')
})

t.test('signature strings', async (t) => {
  t.equal(channelSignatureString('1234.1234', 'private-foobar'), '1234.1234:private-foobar')
  const data = '{"user_id":"7","user_info":{"name":"Ann"}}'
  t.equal(channelSignatureString('1.2', 'presence-room', data), `1.2:presence-room:${data}`)
  t.equal(userSignatureString('1.2', '{"id":"7"}'), '1.2::user::{"id":"7"}')
})

t.test('PROTOCOL §6 vector', async (t) => {
  t.equal(signChannel(app, '1234.1234', 'private-foobar'), `${app.key}:${vectorHex}`)
  t.equal(verifyChannelAuth(app, '1234.1234', 'private-foobar', `${app.key}:${vectorHex}`), true)
  t.equal(verifyChannelAuth(app, '1234.1234', 'private-foobar', `${app.key}:${vectorHex.toUpperCase()}`), true,
    'upper-case hex is the same signature')
})

t.test('verifyChannelAuth rejects', async (t) => {
  const good = `${app.key}:${vectorHex}`
  const cases: Array<[string, unknown, (string | undefined)?, (string | undefined)?, (string | undefined)?]> = [
    ['another socket id', good, '1234.1235'],
    ['another channel', good, undefined, 'private-foobaz'],
    ['channel_data that was not signed', good, undefined, undefined, '{"user_id":"1"}'],
    ['another key', `other-key:${vectorHex}`],
    ['a key with a suffix', `${app.key}x:${vectorHex}`],
    ['an extra colon before the key', `x:${good}`],
    ['a flipped digit', `${app.key}:${vectorHex.slice(0, -1)}5`],
    ['a truncated signature', good.slice(0, -1)],
    ['a signature with an extra digit', `${good}0`],
    ['the signature alone', vectorHex],
    ['the key alone', `${app.key}:`],
    ['an empty string', ''],
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an object', { auth: good }],
    ['an array', [good]]
  ]
  for (const [name, auth, socketId = '1234.1234', channel = 'private-foobar', channelData] of cases) {
    t.equal(verifyChannelAuth(app, socketId, channel, auth, channelData), false, name)
  }
  t.equal(verifyChannelAuth({ ...app, secret: 'another-secret' }, '1234.1234', 'private-foobar', good), false,
    'another secret')
})

t.test('presence signatures cover the exact channel_data string', async (t) => {
  const data = '{"user_id":"7","user_info":{"name":"Ann"}}'
  const auth = signChannel(app, '1.2', 'presence-room', data)
  t.equal(verifyChannelAuth(app, '1.2', 'presence-room', auth, data), true)
  t.equal(verifyChannelAuth(app, '1.2', 'presence-room', auth, '{"user_id": "7","user_info":{"name":"Ann"}}'), false,
    'the same JSON serialized differently does not verify')
  t.equal(verifyChannelAuth(app, '1.2', 'presence-room', auth), false, 'channel_data is part of the signature')
  t.equal(verifyChannelAuth(app, '1.2', 'presence-room', signChannel(app, '1.2', 'presence-room')), true,
    'without channel_data (signed-in member) only socket and channel are signed')
})

t.test('user sign-in signatures', async (t) => {
  const userData = '{"id":"7","user_info":{"name":"Ann"}}'
  const auth = signUser(app, '1.2', userData)
  t.match(auth, new RegExp(`^${app.key}:[0-9a-f]{64}$`))
  t.equal(verifyUserAuth(app, '1.2', auth, userData), true)
  t.equal(verifyUserAuth(app, '1.3', auth, userData), false, 'another socket')
  t.equal(verifyUserAuth(app, '1.2', auth, '{"id":"8","user_info":{"name":"Ann"}}'), false, 'another user')
  t.equal(verifyUserAuth(app, '1.2', auth.replace(app.key, 'k'), userData), false, 'another key')
  t.equal(verifyUserAuth(app, '1.2', undefined, userData), false, 'no auth')
  t.equal(verifyChannelAuth(app, '1.2', '', auth, `user::${userData}`), false,
    'a user signature is not a channel signature of a crafted channel')
})

t.test('signatures made by the pusher server SDK verify', async (t) => {
  const socketId = '8721.33099871'
  const priv = pusher.authorizeChannel(socketId, 'private-orders')
  t.equal(verifyChannelAuth(app, socketId, 'private-orders', priv.auth), true, 'private')
  t.equal(signChannel(app, socketId, 'private-orders'), priv.auth, 'and we sign the same')
  t.equal(verifyChannelAuth(app, '8721.33099872', 'private-orders', priv.auth), false, 'private, other socket')

  const enc = pusher.authorizeChannel(socketId, 'private-encrypted-orders')
  t.equal(verifyChannelAuth(app, socketId, 'private-encrypted-orders', enc.auth), true, 'encrypted')

  const presence = pusher.authorizeChannel(socketId, 'presence-room', { user_id: '7', user_info: { name: 'Ånn' } })
  t.type(presence.channel_data, 'string')
  const channelData = presence.channel_data ?? ''
  t.equal(verifyChannelAuth(app, socketId, 'presence-room', presence.auth, channelData), true, 'presence')
  t.equal(verifyChannelAuth(app, socketId, 'presence-room', presence.auth), false, 'presence without channel_data')

  const user = pusher.authenticateUser(socketId, { id: '7', user_info: { name: 'Ann' }, watchlist: ['9'] })
  t.equal(verifyUserAuth(app, socketId, user.auth, user.user_data), true, 'user')
  t.equal(signUser(app, socketId, user.user_data), user.auth)
  t.equal(verifyUserAuth(app, socketId, user.auth, user.user_data.replace('"7"', '"8"')), false, 'user, other id')
})
