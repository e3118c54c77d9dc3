/**
 * Who may open the console: the holder of its token, shown as `Authorization: Bearer <token>`, or a session
 * cookie that a login (the form, or `?token=` on a first visit) set. The cookie holds no token: it is an
 * expiry time and an HMAC of it keyed with the token, so changing the token ends every session, and the
 * server keeps no session state. Every comparison runs in constant time.
 */
import { randomBytes } from 'node:crypto'
import { hmacSha256Hex, safeEqualHex } from '../auth/hmac.js'

export const SESSION_COOKIE = 'broadcastt_console'
/** Seconds a login lasts. */
export const SESSION_SECONDS = 12 * 60 * 60

export class ConsoleAuth {
  /** Given tokens are hashed under this per-process key before the constant-time comparison. */
  readonly #key = randomBytes(32).toString('hex')
  readonly #token: string
  readonly #tokenDigest: string

  constructor (token: string, private readonly now: () => number) {
    this.#token = token
    this.#tokenDigest = hmacSha256Hex(this.#key, token)
  }

  /** Whether `given` is the token; the same cost whatever its length or content. */
  isToken (given: string): boolean {
    return safeEqualHex(hmacSha256Hex(this.#key, given), this.#tokenDigest)
  }

  /**
   * What the request presents: the token (Bearer) or a live session cookie (`allowed`), a wrong Bearer
   * token (`wrong`: a guess, which spends the login budget), or neither (`none`).
   */
  check (headers: { authorization?: string | undefined, cookie?: string | undefined }): 'allowed' | 'wrong' | 'none' {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1]
    if (bearer !== undefined) return this.isToken(bearer) ? 'allowed' : 'wrong'
    const session = cookieValue(headers.cookie, SESSION_COOKIE)
    return session !== undefined && this.#validSession(session) ? 'allowed' : 'none'
  }

  /** A session cookie's value: `<expiry seconds>.<HMAC of it keyed with the token>`. */
  newSession (): string {
    const expires = Math.floor(this.now() / 1000) + SESSION_SECONDS
    return `${expires}.${this.#sign(expires)}`
  }

  #sign (expires: number): string {
    return hmacSha256Hex(this.#token, `console-session:${expires}`)
  }

  #validSession (value: string): boolean {
    const match = /^(\d{1,12})\.([0-9a-f]{64})$/.exec(value)
    if (match === null) return false
    const expires = Number(match[1])
    const now = Math.floor(this.now() / 1000)
    if (expires <= now || expires > now + SESSION_SECONDS) return false
    return safeEqualHex(match[2] ?? '', this.#sign(expires))
  }
}

/** The value of one cookie in a `Cookie` header (the first one of that name). */
export function cookieValue (header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** The `Set-Cookie` header of a session (or, with `value` empty, of its removal). */
export function sessionCookie (value: string, path: string, secure: boolean): string {
  const age = value === '' ? 0 : SESSION_SECONDS
  return `${SESSION_COOKIE}=${value}; Path=${path}; Max-Age=${age}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`
}
