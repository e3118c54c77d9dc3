import crypto from 'node:crypto'
import { syncBuiltinESMExports } from 'node:module'
import t from 'tap'
import { hmacSha256Hex, md5Hex, safeEqualHex } from '../../src/auth/hmac.js'

t.test('hmacSha256Hex', async (t) => {
  // RFC 4231 test case 2
  t.equal(hmacSha256Hex('Jefe', 'what do ya want for nothing?'),
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')
  // PROTOCOL §6 channel vector
  t.equal(hmacSha256Hex('7ad3773142a6692b25b8', '1234.1234:private-foobar'),
    '58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4')
  t.equal(hmacSha256Hex('s', 'é'), crypto.createHmac('sha256', 's').update(Buffer.from('é', 'utf8')).digest('hex'),
    'the message is hashed as UTF-8')
  // Computed from the padded key blocks: equal to OpenSSL's HMAC for keys shorter than, as long as and longer
  // than SHA-256's 64-byte block, non-ASCII keys and messages, and the same key used again.
  for (const secret of ['', 'k', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(65), 'ключ-🔑'.repeat(20), 'bench-secret']) {
    for (const message of ['', 'POST\n/apps/1/events\nauth_key=k', 'é✓😀'.repeat(50), 'a'.repeat(5000)]) {
      t.equal(hmacSha256Hex(secret, message), crypto.createHmac('sha256', secret).update(message, 'utf8').digest('hex'),
        `key of ${secret.length} chars, message of ${message.length}`)
    }
  }
})

t.test('md5Hex', async (t) => {
  t.equal(md5Hex(''), 'd41d8cd98f00b204e9800998ecf8427e')
  t.equal(md5Hex(Buffer.alloc(0)), 'd41d8cd98f00b204e9800998ecf8427e')
  const body = '{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}'
  t.equal(md5Hex(body), 'ec365a775a4cd0599faeb73354201b6f', 'PROTOCOL §10 body')
  t.equal(md5Hex(Buffer.from(body)), 'ec365a775a4cd0599faeb73354201b6f')
  t.equal(md5Hex('héllo ✓'), md5Hex(Buffer.from('héllo ✓', 'utf8')), 'strings are hashed as UTF-8')
})

t.test('safeEqualHex', async (t) => {
  const sig = '58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4'
  t.equal(safeEqualHex(sig, sig), true)
  t.equal(safeEqualHex(sig, sig.toUpperCase()), true, 'hex digits compare case-insensitively')
  t.equal(safeEqualHex(sig, sig.slice(0, -1) + '5'), false, 'last digit differs')
  t.equal(safeEqualHex(sig, '0' + sig.slice(1)), false, 'first digit differs')
  t.equal(safeEqualHex(sig, sig.slice(0, -2)), false, 'shorter')
  t.equal(safeEqualHex(sig, sig + '00'), false, 'longer')
  t.equal(safeEqualHex(sig, ''), false, 'empty against non-empty')
  t.equal(safeEqualHex('', ''), true)
  t.equal(safeEqualHex('zz', 'yy'), false, 'malformed hex is compared as text, not decoded to nothing')
  t.equal(safeEqualHex('é', 'ab'), false, 'same byte length, different text')
  t.equal(safeEqualHex('é', 'e'), false, 'different byte length, same char length')
})

t.test('safeEqualHex runs timingSafeEqual for unequal lengths too', async (t) => {
  // Builtin named ESM exports follow the CommonJS object after syncBuiltinESMExports().
  const original = crypto.timingSafeEqual
  const calls: number[] = []
  crypto.timingSafeEqual = (a, b) => {
    calls.push(a.byteLength)
    return original(a, b)
  }
  syncBuiltinESMExports()
  t.teardown(() => {
    crypto.timingSafeEqual = original
    syncBuiltinESMExports()
  })
  t.equal(safeEqualHex('abcd', 'ab'), false)
  t.same(calls, [4], 'one full-length comparison although the lengths differ')
  t.equal(safeEqualHex('abcd', 'abcd'), true)
  t.same(calls, [4, 4])
})
