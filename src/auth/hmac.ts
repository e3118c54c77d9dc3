/**
 * Hashing primitives shared by channel, user and REST request signatures.
 * Pure functions over `node:crypto`; no framework imports.
 */
import * as crypto from 'node:crypto'
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

type OneShot = ((algorithm: string, data: Buffer, encoding: 'hex') => string) & ((algorithm: string, data: Buffer, encoding: 'buffer') => Buffer)
/** `crypto.hash()`, the one-shot digest of Node 20.12 and later (no Hash object per call). */
const oneShot = (crypto as { hash?: OneShot }).hash

/** SHA-256's block size: HMAC pads its key to this many bytes (RFC 2104). */
const BLOCK = 64

/** A secret's inner and outer HMAC blocks (key XOR ipad, key XOR opad), computed once per secret. */
interface Pads { inner: Buffer, outer: Buffer }
const pads = new Map<string, Pads>()
/** Secrets are few (one per app); the cache is cleared rather than grown past this. */
const MAX_PADS = 1000

function padsOf (secret: string): Pads {
  let found = pads.get(secret)
  if (found !== undefined) return found
  let key = Buffer.from(secret, 'utf8')
  if (key.length > BLOCK) key = createHash('sha256').update(key).digest()
  const inner = Buffer.alloc(BLOCK, 0x36)
  const outer = Buffer.alloc(BLOCK, 0x5c)
  for (let i = 0; i < key.length; i++) {
    inner[i]! ^= key[i]!
    outer[i]! ^= key[i]!
  }
  if (pads.size >= MAX_PADS) pads.clear()
  found = { inner, outer }
  pads.set(secret, found)
  return found
}

/**
 * Hex HMAC-SHA256 of the UTF-8 `message`, keyed with the UTF-8 `secret`. On Node with `crypto.hash()` it is
 * computed as RFC 2104 defines it, H(K⊕opad ‖ H(K⊕ipad ‖ m)), with two one-shot digests and the padded key
 * blocks kept per secret: `createHmac` sets up a keyed OpenSSL context per call, which costs more than
 * the two digests of a request's short base string.
 */
export function hmacSha256Hex (secret: string, message: string): string {
  if (oneShot === undefined) return createHmac('sha256', secret).update(message, 'utf8').digest('hex')
  const { inner, outer } = padsOf(secret)
  const length = Buffer.byteLength(message, 'utf8')
  const first = Buffer.allocUnsafe(BLOCK + length)
  inner.copy(first, 0)
  first.write(message, BLOCK, 'utf8')
  const second = Buffer.allocUnsafe(BLOCK + 32)
  outer.copy(second, 0)
  oneShot('sha256', first, 'buffer').copy(second, BLOCK)
  return oneShot('sha256', second, 'hex')
}

/** Hex MD5 of a raw body (a string is hashed as its UTF-8 bytes), as in `body_md5`. */
export function md5Hex (body: Buffer | string): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
  return oneShot === undefined ? createHash('md5').update(bytes).digest('hex') : oneShot('md5', bytes, 'hex')
}

/**
 * Compares two hex strings in constant time (hex digits compared case-insensitively).
 * Strings of different lengths return false after a comparison of the same cost as an
 * equal-length one, so only the length is observable; it never throws.
 * The strings are compared as text, not decoded, so malformed hex never equals anything but itself.
 */
export function safeEqualHex (a: string, b: string): boolean {
  const left = Buffer.from(a.toLowerCase(), 'utf8')
  const right = Buffer.from(b.toLowerCase(), 'utf8')
  if (left.length !== right.length) {
    timingSafeEqual(left, left)
    return false
  }
  return timingSafeEqual(left, right)
}
