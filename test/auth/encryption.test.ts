/** Encrypted channels' shared secrets: derived from the master key as the `pusher` SDK derives them. */
import t from 'tap'
import PusherServer from 'pusher'
import { channelSharedSecret, decodeMasterKey } from '../../src/auth/encryption.js'

t.test('the shared secret is the SDK\'s channelSharedSecret', async (t) => {
  const base64 = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')
  const sdk = new PusherServer({ appId: '1', key: 'k', secret: 's', host: '127.0.0.1', encryptionMasterKeyBase64: base64 }) as
    PusherServer & { channelSharedSecret (channel: string): Buffer }
  const key = decodeMasterKey(base64)
  for (const channel of ['private-encrypted-a', 'private-encrypted-cache-b', 'private-encrypted-ü']) {
    t.same(channelSharedSecret(key, channel), sdk.channelSharedSecret(channel), channel)
  }
  t.equal(channelSharedSecret(key, 'private-encrypted-a').length, 32)
  t.not(channelSharedSecret(key, 'private-encrypted-a').toString('hex'), channelSharedSecret(key, 'private-encrypted-b').toString('hex'),
    'one secret per channel')
})

t.test('a master key is exactly 32 bytes', async (t) => {
  t.throws(() => decodeMasterKey(Buffer.alloc(31).toString('base64')), RangeError)
  t.throws(() => decodeMasterKey(''), RangeError)
  t.equal(decodeMasterKey(Buffer.alloc(32, 1).toString('base64')).length, 32)
})
