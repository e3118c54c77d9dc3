/**
 * REST request signing (PROTOCOL §10), server-side verification and a client-side signer.
 *
 * Signed string: `METHOD\nPATH\nQUERY`, QUERY being every parameter but `auth_signature`, keys
 * lower-cased and sorted, `k=v` joined with `&`, values not URL-escaped. A repeated key (an array
 * value, as Node's and Fastify's query parsers produce) is joined with `,`, as pusher-http-node
 * (`String(array)`) and pusher-http-php (`implode(',', …)`) do; a `k[]` key is kept as sent.
 */
import { hmacSha256Hex, md5Hex, safeEqualHex } from './hmac.js'
import type { SigningApp } from './channel-auth.js'
import { dict } from '../protocol/dict.js'

/** A parsed query string: one value, several values of a repeated key, or absent. */
export type QueryParams = Readonly<Record<string, string | readonly string[] | undefined>>

/** The stable codes of a failed verification; every one is an HTTP 401. */
export const REQUEST_AUTH_CODES = {
  MISSING_AUTH_PARAMS: 'missing_auth_params',
  INVALID_AUTH_KEY: 'invalid_auth_key',
  AUTH_VERSION: 'auth_version',
  STALE_TIMESTAMP: 'stale_timestamp',
  MISSING_BODY_MD5: 'missing_body_md5',
  BODY_MD5_MISMATCH: 'body_md5_mismatch',
  INVALID_SIGNATURE: 'invalid_signature'
} as const

/** One of the values of {@link REQUEST_AUTH_CODES}. */
export type RequestAuthCode = typeof REQUEST_AUTH_CODES[keyof typeof REQUEST_AUTH_CODES]

/** The outcome of {@link verifyRequest}; `message` says precisely what was wrong. */
export type RequestVerification =
  | { readonly ok: true }
  | { readonly ok: false, readonly code: RequestAuthCode, readonly message: string }

/** What {@link verifyRequest} checks. */
export interface VerifyRequestInput {
  readonly app: SigningApp
  /** HTTP method; compared upper-cased. */
  readonly method: string
  /** The request path as sent, without the query string. */
  readonly path: string
  /** The decoded query parameters. */
  readonly query: QueryParams
  /**
   * The query part of the signed string when the raw query string already is in canonical form (see
   * {@link canonicalQueryString}): the base string then is that text as it stands, nothing is re-serialized.
   */
  readonly canonicalQuery?: string | undefined
  /** The raw request body; absent or empty means no body. */
  readonly rawBody?: Buffer | string | undefined
  /** The server clock in Unix seconds (fractions are dropped). */
  readonly nowSeconds: number
  /** Largest accepted |now − auth_timestamp|, in seconds (600 by default in the options). */
  readonly windowSeconds: number
}

const AUTH_VERSION = '1.0'

/** The query parameters a signer adds to a request (and no caller may set itself). */
export const SIGNING_PARAMETERS = ['auth_key', 'auth_timestamp', 'auth_version', 'auth_signature', 'body_md5'] as const
export type SigningParameter = typeof SIGNING_PARAMETERS[number]

/** The string a REST request signature covers: `METHOD\nPATH\nQUERY` (see the module doc). */
export function signatureBaseString (method: string, path: string, query: QueryParams): string {
  // Runs on every signed request: one pass over the keys, no intermediate entry arrays.
  const keys: string[] = []
  const merged = dict<string[]>()
  for (const rawKey of Object.keys(query)) {
    const value = query[rawKey]
    const key = rawKey.toLowerCase()
    if (value === undefined || key === 'auth_signature') continue
    let values = merged[key]
    if (values === undefined) {
      values = []
      merged[key] = values
      keys.push(key)
    }
    if (typeof value === 'string') values.push(value)
    else for (const item of value) values.push(item)
  }
  keys.sort()
  let out = `${method.toUpperCase()}\n${path}\n`
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    out += `${i === 0 ? '' : '&'}${key}=${(merged[key] as string[]).join(',')}`
  }
  return out
}

const UPPER_A = 0x41
const UPPER_Z = 0x5a

/**
 * The query part of the signed string straight from a raw query string (without `?`), when the string
 * already is canonical: no character that needs decoding, every parameter `k=v` with a lower-case key,
 * the keys in strictly ascending order (so none repeated) apart from `auth_signature`, which may be
 * anywhere and is dropped. The official SDKs send their queries so; for any other string this returns
 * undefined and the signed string is built from the parsed query ({@link signatureBaseString}), with
 * which this agrees whenever it answers.
 */
export function canonicalQueryString (text: string): string | undefined {
  if (text.length === 0 || NEEDS_DECODING.test(text)) return undefined
  let previous = ''
  let cutFrom = -1
  let cutTo = -1
  let start = 0
  while (start <= text.length) {
    let end = text.indexOf('&', start)
    if (end === -1) end = text.length
    const eq = text.indexOf('=', start)
    if (eq === -1 || eq > end) return undefined // an empty parameter, or one without `=`
    for (let i = start; i < eq; i++) {
      const code = text.charCodeAt(i)
      if (code >= UPPER_A && code <= UPPER_Z) return undefined
    }
    const key = text.slice(start, eq)
    if (key === 'auth_signature') {
      if (cutFrom !== -1) return undefined
      cutFrom = start
      cutTo = end
    } else {
      if (key === '' || (previous !== '' && key <= previous)) return undefined
      previous = key
    }
    start = end + 1
  }
  if (cutFrom === -1) return text
  // Drop `auth_signature=…` and one of the `&` around it.
  if (cutTo === text.length) return cutFrom === 0 ? '' : text.slice(0, cutFrom - 1)
  return text.slice(0, cutFrom) + text.slice(cutTo + 1)
}

/**
 * The most query parameters, and bytes of query string, a signed request may carry. Every SDK sends at most
 * seven parameters (the five auth ones, `info`, `filter_by_prefix`) in well under 1 KB; the caps bound the
 * work an unauthenticated request can cause before its signature is checked.
 */
export const QUERY_LIMITS = Object.freeze({ params: 32, bytes: 4096 })

/**
 * Parses a raw query string (without `?`) as `URLSearchParams` does, a repeated key as an array, into an
 * object without a prototype; undefined when it holds more than `maxParams` parameters (parsing stops
 * there). Linear in the length: a repeated key appends to its array. A string of printable ASCII without
 * `%`, `+` or a leading `?` needs no decoding and is split directly; any other goes through
 * `URLSearchParams`, so the decoding is exactly the standard one.
 */
const NEEDS_DECODING = /[%+]|^\?|[^\x20-\x7e]/

export function parseQueryString (text: string, maxParams = Number.POSITIVE_INFINITY):
  Record<string, string | string[]> | undefined {
  const query = dict<string | string[]>()
  let params = 0
  const add = (key: string, value: string): boolean => {
    const seen = query[key]
    if (seen === undefined) query[key] = value
    else if (typeof seen === 'string') query[key] = [seen, value]
    else seen.push(value)
    return ++params <= maxParams
  }
  if (NEEDS_DECODING.test(text)) {
    for (const [key, value] of new URLSearchParams(text)) if (!add(key, value)) return undefined
    return query
  }
  let start = 0
  while (start <= text.length) {
    let end = text.indexOf('&', start)
    if (end === -1) end = text.length
    if (end > start) {
      const eq = text.indexOf('=', start)
      const ok = eq === -1 || eq > end
        ? add(text.slice(start, end), '')
        : add(text.slice(start, eq), text.slice(eq + 1, end))
      if (!ok) return undefined
    }
    start = end + 1
  }
  return query
}

/**
 * Client-side signer: returns `query` plus `auth_key`, `auth_timestamp`, `auth_version=1.0`,
 * `body_md5` (when `body` is non-empty) and `auth_signature`. Throws a TypeError when `query`
 * already holds one of those parameters.
 */
export function signRequest (
  app: SigningApp,
  method: string,
  path: string,
  query: QueryParams = {},
  body?: Buffer | string,
  timestamp: number = Math.floor(Date.now() / 1000)
): Record<string, string | readonly string[]> {
  const signed: Record<string, string | readonly string[]> = {}
  for (const [key, value] of Object.entries(query)) {
    if ((SIGNING_PARAMETERS as readonly string[]).includes(key.toLowerCase())) {
      throw new TypeError(`signRequest: the query must not contain ${key}; it is set by the signer`)
    }
    if (value !== undefined) signed[key] = value
  }
  signed.auth_key = app.key
  signed.auth_timestamp = String(Math.floor(timestamp))
  signed.auth_version = AUTH_VERSION
  if (body !== undefined && body.length > 0) signed.body_md5 = md5Hex(body)
  signed.auth_signature = hmacSha256Hex(app.secret, signatureBaseString(method, path, signed))
  return signed
}

/**
 * Verifies a signed REST request: {@link verifyRequestQuery}, then {@link verifyRequestBody}. The signature
 * covers `body_md5`, so a server checks the query before it reads the body, and the body only after that.
 */
export function verifyRequest (input: VerifyRequestInput): RequestVerification {
  const signed = verifyRequestQuery(input)
  return signed.ok ? verifyRequestBody(input.query.body_md5, input.rawBody) : signed
}

/**
 * The checks that need no body, in order: the auth parameters are present once each, `auth_key` is the
 * app's, `auth_version` is 1.0, `auth_timestamp` is an integer within ±`windowSeconds` of `nowSeconds`,
 * `body_md5` (when present) is sent once, and `auth_signature` matches (constant-time compare).
 */
export function verifyRequestQuery (input: Omit<VerifyRequestInput, 'rawBody'>): RequestVerification {
  const { app, query } = input
  const params = authParams(query)
  if (typeof params === 'string') return fail(REQUEST_AUTH_CODES.MISSING_AUTH_PARAMS, params)
  if (params.key !== app.key) {
    return fail(REQUEST_AUTH_CODES.INVALID_AUTH_KEY, `auth_key ${params.key} is not the key of this app`)
  }
  if (params.version !== AUTH_VERSION) {
    return fail(REQUEST_AUTH_CODES.AUTH_VERSION, `auth_version must be ${AUTH_VERSION}, got ${params.version}`)
  }
  const stale = timestampProblem(params.timestamp, input.nowSeconds, input.windowSeconds)
  if (stale !== undefined) return fail(REQUEST_AUTH_CODES.STALE_TIMESTAMP, stale)
  const bodyMd5 = query.body_md5
  if (bodyMd5 !== undefined && typeof bodyMd5 !== 'string') {
    return fail(REQUEST_AUTH_CODES.BODY_MD5_MISMATCH, `body_md5 was sent ${bodyMd5.length} times; send it once`)
  }
  const base = input.canonicalQuery === undefined
    ? signatureBaseString(input.method, input.path, query)
    : `${input.method.toUpperCase()}\n${input.path}\n${input.canonicalQuery}`
  if (!safeEqualHex(params.signature, hmacSha256Hex(app.secret, base))) {
    return fail(REQUEST_AUTH_CODES.INVALID_SIGNATURE,
      `auth_signature does not match; expected the hex HMAC-SHA256 of ${JSON.stringify(base)} with the app secret`)
  }
  return { ok: true }
}

/** The body against the (signed) `body_md5`: required for a non-empty body, and equal to its MD5. */
export function verifyRequestBody (bodyMd5: string | readonly string[] | undefined, rawBody: Buffer | string | undefined):
RequestVerification {
  return checkBody(bodyMd5, rawBody) ?? { ok: true }
}

interface AuthParams { key: string, timestamp: string, version: string, signature: string }

/** The four required parameters, or a message naming the first one missing or repeated. */
function authParams (query: QueryParams): AuthParams | string {
  const out: string[] = []
  for (const name of ['auth_key', 'auth_timestamp', 'auth_version', 'auth_signature'] as const) {
    const value = query[name]
    if (value === undefined || value === '') return `the query parameter ${name} is missing`
    if (typeof value !== 'string') return `the query parameter ${name} was sent ${value.length} times; send it once`
    out.push(value)
  }
  const [key = '', timestamp = '', version = '', signature = ''] = out
  return { key, timestamp, version, signature }
}

function timestampProblem (timestamp: string, nowSeconds: number, windowSeconds: number): string | undefined {
  if (!/^\d{1,15}$/.test(timestamp)) return `auth_timestamp ${timestamp} is not an integer number of Unix seconds`
  const skew = Math.abs(Math.floor(nowSeconds) - Number(timestamp))
  if (skew <= windowSeconds) return undefined
  return `auth_timestamp ${timestamp} is ${skew} s away from the server clock; the window is ±${windowSeconds} s`
}

function checkBody (bodyMd5: string | readonly string[] | undefined, rawBody: Buffer | string | undefined):
  RequestVerification | undefined {
  const size = rawBody === undefined ? 0 : Buffer.byteLength(rawBody)
  const hasBody = size > 0
  if (bodyMd5 === undefined) {
    return hasBody
      ? fail(REQUEST_AUTH_CODES.MISSING_BODY_MD5, 'the request has a body but no body_md5 query parameter')
      : undefined
  }
  if (typeof bodyMd5 !== 'string') {
    return fail(REQUEST_AUTH_CODES.BODY_MD5_MISMATCH, `body_md5 was sent ${bodyMd5.length} times; send it once`)
  }
  const actual = md5Hex(rawBody ?? '')
  if (safeEqualHex(bodyMd5, actual)) return undefined
  return fail(REQUEST_AUTH_CODES.BODY_MD5_MISMATCH,
    `body_md5 ${bodyMd5} does not match the MD5 of the ${size}-byte body (${actual})`)
}

function fail (code: RequestAuthCode, message: string): RequestVerification {
  return { ok: false, code, message }
}
