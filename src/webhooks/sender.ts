/**
 * One webhook request over undici (Node's own HTTP client): `POST`, `Content-Type: application/json`, the
 * key and the HMAC-SHA256 signature of the exact body in the Pusher and Broadcastt headers (PROTOCOL.md §11).
 * Redirects are never followed (undici's `request` follows none without the redirect interceptor); at most
 * `responseBytes` of the answer are read, then it is discarded; the whole request is bounded by `timeoutMs`.
 */
import { Agent, request } from 'undici'
import { hmacSha256Hex } from '../auth/hmac.js'
import type { Delivery } from './types.js'

/** Keep-alive connections per receiver origin; the dispatcher bounds requests in flight per app. */
const CONNECTIONS_PER_ORIGIN = 16

export interface SendTarget {
  /** Where the request goes: the configured URL without its userinfo. */
  readonly url: string
  readonly key: string
  readonly secret: string
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/**
 * The target of a configured webhook. undici ignores a URL's userinfo, so `https://user:pass@host/…` is sent
 * to `https://host/…` with `Authorization: Basic` of the (percent-decoded) user and password instead.
 */
export function webhookTarget (key: string, secret: string, hook: { url: string, headers?: Record<string, string> | undefined }):
SendTarget {
  const url = new URL(hook.url)
  if (url.username === '' && url.password === '') return { url: hook.url, key, secret, headers: hook.headers }
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
  url.username = ''
  url.password = ''
  const headers = { ...hook.headers, authorization: `Basic ${Buffer.from(credentials).toString('base64')}` }
  return { url: url.href, key, secret, headers }
}

/** The outcome of one attempt: 2xx, or why not (retried by the dispatcher). */
export type SendOutcome = { ok: true, status: number } | { ok: false, reason: string }

/** Headers a configured `headers` entry cannot set: the signed ones and those undici owns. */
const RESERVED = /^(content-type|content-length|transfer-encoding|host|connection|x-pusher-.*|x-broadcastt-.*)$/i

/** The request headers of a webhook body. Configured extra headers come first and cannot override these. */
export function webhookHeaders (target: SendTarget, body: string): Record<string, string> {
  const signature = hmacSha256Hex(target.secret, body)
  const extra = Object.entries(target.headers ?? {}).filter(([name]) => !RESERVED.test(name))
  return {
    ...Object.fromEntries(extra),
    'content-type': 'application/json',
    'x-pusher-key': target.key,
    'x-pusher-signature': signature,
    'x-broadcastt-key': target.key,
    'x-broadcastt-signature': signature
  }
}

export class WebhookSender {
  readonly #agent: Agent
  readonly #timeoutMs: number
  readonly #responseBytes: number

  constructor (options: { timeoutMs: number, responseBytes: number }) {
    this.#timeoutMs = options.timeoutMs
    this.#responseBytes = options.responseBytes
    this.#agent = new Agent({
      connections: CONNECTIONS_PER_ORIGIN,
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs
    })
  }

  /** Makes one attempt; never throws. */
  async send (delivery: Delivery, target: SendTarget): Promise<SendOutcome> {
    const abort = new AbortController()
    const timer = setTimeout(() => { abort.abort(new Error(`timed out after ${this.#timeoutMs} ms`)) }, this.#timeoutMs)
    try {
      const { statusCode, body } = await request(target.url, {
        dispatcher: this.#agent,
        method: 'POST',
        headers: webhookHeaders(target, delivery.body),
        body: delivery.body,
        signal: abort.signal
      })
      await this.#discard(body)
      if (statusCode >= 200 && statusCode < 300) return { ok: true, status: statusCode }
      return { ok: false, reason: `HTTP ${statusCode}` }
    } catch (err) {
      const reason = abort.signal.aborted ? `timed out after ${this.#timeoutMs} ms` : describe(err)
      return { ok: false, reason }
    } finally {
      clearTimeout(timer)
    }
  }

  /** Reads at most `responseBytes` of the answer; a longer one is cut off (its connection is closed). */
  async #discard (body: AsyncIterable<Buffer> & { destroy (): unknown }): Promise<void> {
    let read = 0
    for await (const chunk of body) {
      read += chunk.length
      if (read > this.#responseBytes) {
        body.destroy()
        return
      }
    }
  }

  /** Closes the connection pool, aborting requests still in flight. */
  async close (): Promise<void> {
    await this.#agent.destroy()
  }
}

function describe (err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    const cause = (err.cause as { code?: unknown } | undefined)?.code
    return [typeof code === 'string' ? code : undefined, typeof cause === 'string' ? cause : undefined, err.message]
      .filter((part) => part !== undefined && part !== '').join(': ')
  }
  return String(err)
}
