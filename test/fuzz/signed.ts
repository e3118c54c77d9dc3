/**
 * Validly signed frames for the fuzz run, so that the authorized paths are fuzzed too: subscribes to
 * private, presence, encrypted and cache channels and sign-ins, signed by the Pusher server SDK for the
 * connection's socket id, then client events and unsubscribes on those channels. The user ids, user infos,
 * watchlists and event data stay hostile (odd types, long strings, prototype keys).
 */
import { createHmac } from 'node:crypto'
import Pusher from 'pusher'
import { TEST_APP } from '../helpers/server.js'

/** The fuzz app's encryption master key (32 bytes, base64), so encrypted channels can be authorized. */
export const FUZZ_MASTER_KEY = Buffer.alloc(32, 7).toString('base64')

const sdk = new Pusher({
  appId: TEST_APP.id, key: TEST_APP.key, secret: TEST_APP.secret, cluster: 'mt1', encryptionMasterKeyBase64: FUZZ_MASTER_KEY
})

/** A seeded PRNG (mulberry32): the same seed gives the same choices. */
export function random (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const pick = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T

const CHANNELS = ['private-fuzz-0', 'private-fuzz-1', 'presence-fuzz-0', 'presence-fuzz-1', 'private-encrypted-fuzz-0',
  'private-cache-fuzz', 'presence-cache-fuzz']
const USER_IDS: readonly unknown[] = ['u1', 'u2', 'u3', '', 'x'.repeat(300), 'a b', '__proto__', 42, -1.5, null, true, ['u1'], { id: 'u1' }]
const INFOS: readonly unknown[] = [undefined, { name: 'Ann' }, 'text', 7, null, [1, 2], { __proto__: { admin: true } }, { deep: { deeper: { deepest: 'x'.repeat(2000) } } }]
const DATA: readonly unknown[] = [{ x: 1 }, 'hello', '', 0, null, [], 'y'.repeat(12_000), { __proto__: 1 }, { a: '\u0000\ud800' }]

const presenceData = (rnd: () => number): Pusher.PresenceChannelData => {
  const info = pick(rnd, INFOS)
  // Hostile on purpose: the SDK's types want a string id and an object info, the wire gets whatever is picked.
  return { user_id: pick(rnd, USER_IDS) as string, ...(info === undefined ? {} : { user_info: info as Record<string, unknown> }) }
}

/** One validly signed (or signed-then-used) frame for a connection of the dialect, as JSON text. */
export function signedFrame (rnd: () => number, socketId: string, prefix: 'pusher' | 'broadcastt'): string {
  const channel = pick(rnd, CHANNELS)
  const roll = rnd()
  if (roll < 0.45) {
    const presence = channel.startsWith('presence-')
    const signed = sdk.authorizeChannel(socketId, channel, presence ? presenceData(rnd) : undefined)
    const data = { channel, auth: signed.auth, ...(signed.channel_data === undefined ? {} : { channel_data: signed.channel_data }) }
    return JSON.stringify({ event: `${prefix}:subscribe`, data })
  }
  if (roll < 0.6) {
    const watchlist = rnd() < 0.5 ? undefined : Array.from({ length: Math.floor(rnd() * 4) }, () => pick(rnd, USER_IDS))
    const info = pick(rnd, INFOS)
    const id = pick(rnd, USER_IDS)
    const user = { id, ...(info === undefined ? {} : { user_info: info }), ...(watchlist === undefined ? {} : { watchlist }) }
    const userData = JSON.stringify(user)
    // The SDK refuses a user without a string id; such a user is still signed, the way a careless backend would.
    const auth = typeof id === 'string' && id !== '' ? sdk.authenticateUser(socketId, user as { id: string }).auth : sign(socketId, userData)
    return JSON.stringify({ event: `${prefix}:signin`, data: { auth, user_data: userData } })
  }
  if (roll < 0.9) {
    const name = pick(rnd, ['client-move', 'client-' + 'n'.repeat(250), 'client-', 'client-x'])
    return JSON.stringify({ event: name, channel, data: pick(rnd, DATA) })
  }
  return JSON.stringify({ event: `${prefix}:unsubscribe`, data: { channel } })
}

/** A sign-in signature as the Pusher protocol defines it, for user data the SDK would refuse to sign. */
function sign (socketId: string, userData: string): string {
  return `${TEST_APP.key}:${createHmac('sha256', TEST_APP.secret).update(`${socketId}::user::${userData}`).digest('hex')}`
}
