/**
 * Helpers of the REST tests: signed requests built with `auth/`'s signer and sent with `fetch`, a Pusher SDK
 * client for the test server, and subscribers that prove what was (not) delivered.
 */
import Pusher from 'pusher'
import type { Test } from 'tap'
import { signRequest, type QueryParams } from '../../src/auth/request-signature.js'
import type { AppInput } from '../../src/index.js'
import { open, type TestClient } from '../helpers/ws-client.js'
import { TEST_APP, type TestServer } from '../helpers/server.js'

export interface SignedOptions {
  app?: Pick<AppInput, 'id' | 'key' | 'secret'>
  query?: QueryParams
  /** A string is sent as is; anything else is JSON-encoded. */
  body?: unknown
  headers?: Record<string, string>
  timestamp?: number
  /** Path prefix of the plugin. */
  prefix?: string
}

export interface JsonResponse {
  status: number
  headers: Headers
  body: unknown
}

/** The query string as the SDKs write it: `k=v` pairs, values not URL-escaped. */
export function unescapedQuery (query: Record<string, string | readonly string[]>): string {
  return Object.entries(query).map(([k, v]) => `${k}=${typeof v === 'string' ? v : v.join(',')}`).join('&')
}

/** Sends a request signed for `app` (default: the test app) to `/apps/{id}{route}`. */
export async function signed (server: TestServer, method: string, route: string, options: SignedOptions = {}):
Promise<JsonResponse> {
  const app = options.app ?? TEST_APP
  const path = `${options.prefix ?? ''}/apps/${app.id}${route}`
  const body = options.body === undefined
    ? undefined
    : typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
  const query = signRequest(app, method, path, options.query, body, options.timestamp)
  return await send(server, method, `${path}?${unescapedQuery(query)}`, body, options.headers)
}

export async function send (server: TestServer, method: string, url: string, body?: string,
  headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<JsonResponse> {
  const response = await fetch(`http://127.0.0.1:${server.port}${url}`, {
    method, headers: body === undefined ? {} : headers, ...(body === undefined ? {} : { body })
  })
  const text = await response.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch {}
  return { status: response.status, headers: response.headers, body: parsed }
}

/** The official Pusher server SDK, pointed at the test server. */
export function pusherFor (server: TestServer, app: Pick<AppInput, 'id' | 'key' | 'secret'> = TEST_APP): Pusher {
  return new Pusher({ appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1', port: String(server.port), useTLS: false })
}

/** A pusher-dialect connection subscribed to `channels`. */
export async function subscriber (t: { teardown (fn: () => unknown): void }, server: TestServer, channels: readonly string[],
  key = TEST_APP.key): Promise<TestClient> {
  const client = await open(t, server.wsUrl(key))
  for (const channel of channels) {
    const reply = await client.subscribe(channel)
    if (!reply.event.endsWith('subscription_succeeded')) throw new Error(`subscribe ${channel}: ${JSON.stringify(reply)}`)
  }
  return client
}

/** Channel events received so far, once nothing started before the call can still arrive (`TestClient.settle()`). */
export async function delivered (client: TestClient): Promise<Array<{ event: string, channel?: string, data: string }>> {
  const frames = await client.settle()
  return frames.filter((f) => f.channel !== undefined).map(({ event, channel, data }) =>
    channel === undefined ? { event, data } : { event, channel, data })
}

/**
 * Waits for the next `count` channel events (named `name` when given), then adds any others that arrived by
 * `delivered` (the barrier of every node, so nothing more was on its way): for events that travel through
 * another node (Redis).
 */
export async function received (client: TestClient, count: number, name?: string):
Promise<Array<{ event: string, channel?: string, data: string }>> {
  const first: Array<{ event: string, channel?: string, data: string }> = []
  for (let i = 0; i < count; i++) {
    const { event, channel, data } = await client.next((f) => f.channel !== undefined && (name === undefined || f.event === name))
    first.push(channel === undefined ? { event, data } : { event, channel, data })
  }
  return [...first, ...await delivered(client)]
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  503: 'Service Unavailable'
}

/** Asserts a refusal: the status and the JSON error body `{statusCode, code, error, message}`. */
export function assertRefused (t: Test, response: JsonResponse, status: number, code: string, message: RegExp): void {
  t.equal(response.status, status, `status ${status}`)
  const body = response.body as Record<string, unknown>
  t.same(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode'], 'the error shape')
  t.same({ statusCode: body.statusCode, code: body.code, error: body.error },
    { statusCode: status, code, error: STATUS_TEXT[status] }, `code ${code}`)
  t.match(body.message, message, 'the message says what was wrong')
}
