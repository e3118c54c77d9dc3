/**
 * Hashing primitives shared by channel, user and REST request signatures.
 * Pure functions over `node:crypto`; no framework imports.
 */
import * as crypto from 'node:crypto'
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/** `crypto.hash()`, the one-shot digest of Node 20.12 and later (no Hash object per call). */
const oneShot = (crypto as { hash?: (algorithm: string, data: Buffer, encoding: 'hex') => string }).hash

/** Hex HMAC-SHA256 of the UTF-8 `message`, keyed with the UTF-8 `secret`. */
export function hmacSha256Hex (secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('hex')
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
