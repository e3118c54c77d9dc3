/**
 * The fuzz run, shared by the fuzz test and the test of its guards: seeded generated and mutated frames
 * from several connections of both dialects (a share of them validly signed, test/fuzz/signed.ts), and
 * generated REST requests, against one server whose log is captured, while a well-behaved client stays
 * connected. `runFuzz` returns what was seen; `guardProblems` names every sign of an internal failure.
 */
import { once } from 'node:events'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Test } from 'tap'
import WebSocket from 'ws'
import fc from 'fast-check'
import { signRequest } from '../../src/auth/request-signature.js'
import type { BroadcasttOptions } from '../../src/index.js'
import { WireError } from '../../src/protocol/wire-errors.js'
import { captureLog } from '../helpers/log.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { frames, requestArbitrary, type FuzzFrame } from './generators.js'
import { FUZZ_MASTER_KEY, random, signedFrame } from './signed.js'

const CONNECTIONS = 4
const BATCH = 100
/** One frame in SIGNED_SHARE is replaced by a validly signed one. */
const SIGNED_SHARE = 4

setFlagsFromString('--expose-gc')
export const gc = runInNewContext('gc') as () => void

const TABLE_CODES = new Set<number | null>(Object.values(WireError).map((spec) => spec.code))
/**
 * Close codes of the table, plus those ws itself uses for protocol violations (RFC 6455). 1006 (no close
 * frame) is not one: the server always says why it closes.
 */
const CLOSE_CODES = new Set<number>([...TABLE_CODES].filter((c): c is number => c !== null).concat([1002, 1005, 1007, 1009]))

function note<K> (map: Map<K, number>, key: K): void { map.set(key, (map.get(key) ?? 0) + 1) }

export interface FuzzFindings {
  seed: number
  sent: number
  signed: number
  answers: number
  errors: Map<string, number>
  closes: Map<number, number>
  /** Answers outside the protocol (not JSON, unknown error code, close code outside the table…). */
  bad: string[]
  /** `Internal error` answers and `subscription_error`s of type InternalError. */
  internal: string[]
  /** Error-level (50+) lines the server logged. */
  errorLogs: Array<Record<string, unknown>>
  /** `broadcastt_background_errors_total` + `broadcastt_adapter_publish_errors_total` at the end. */
  errorCounter: number
  triggered: number
  received: number
  observerOpen: boolean
  restStatuses: Map<number, number>
  restProblems: string[]
  heapGrowth: number
  seconds: number
}

/** Checks one server frame against the protocol: a JSON object with an event name, `data` a JSON string. */
function checkAnswer (found: FuzzFindings, raw: WebSocket.RawData): void {
  found.answers++
  const text = raw.toString()
  let frame: { event?: unknown, data?: unknown }
  try { frame = JSON.parse(text) as typeof frame } catch { found.bad.push(`not JSON: ${text.slice(0, 80)}`); return }
  if (typeof frame.event !== 'string') { found.bad.push(`no event: ${text.slice(0, 80)}`); return }
  if (frame.data === undefined) return
  if (typeof frame.data !== 'string') { found.bad.push(`data not a string: ${text.slice(0, 80)}`); return }
  let data: unknown
  try { data = JSON.parse(frame.data) } catch { found.bad.push(`data not JSON: ${text.slice(0, 80)}`); return }
  if (frame.event.endsWith(':error')) {
    const { code = null, message } = data as { code?: number | null, message?: unknown }
    if (!TABLE_CODES.has(code)) found.bad.push(`error code ${String(code)} not in the table`)
    if (message === 'Internal error') found.internal.push(text.slice(0, 200))
    note(found.errors, String(code))
  }
  if (frame.event.endsWith(':subscription_error')) {
    const { type, status } = data as { type?: unknown, status?: unknown }
    if (type === 'InternalError' || status === 500) found.internal.push(text.slice(0, 200))
  }
}

/** One fuzzing connection: reconnects whenever the server closed it. */
class Fuzzer {
  ws: WebSocket | undefined
  socketId = ''
  /** The last frame sent, named when the server's answer to it breaks the protocol. */
  last = ''
  /** Set when the fuzzer itself drops the connection (its own close is not the server's answer). */
  closing = false
  lastError = ''
  readonly rnd: () => number
  constructor (readonly server: TestServer, readonly pusher: boolean, readonly found: FuzzFindings, seed: number) {
    this.rnd = random(seed)
  }

  async connect (): Promise<WebSocket> {
    const ws = new WebSocket(this.server.wsUrl(TEST_APP.key, this.pusher ? 'protocol=7' : ''))
    ws.on('message', (raw) => { checkAnswer(this.found, raw) })
    ws.on('close', (code) => {
      if (this.closing) return
      if (!CLOSE_CODES.has(code)) this.found.bad.push(`close code ${code} (${this.lastError}) after ${this.last.slice(0, 120)}`)
      note(this.found.closes, code)
    })
    ws.on('error', (e) => { this.lastError = e.message }) // a close frame with a bad payload, a reset: the close code is what counts
    this.socketId = await new Promise<string>((resolve, reject) => {
      ws.once('message', (raw) => {
        const frame = JSON.parse(raw.toString()) as { data: string }
        resolve((JSON.parse(frame.data) as { socket_id: string }).socket_id)
      })
      ws.once('close', reject)
    })
    this.ws = ws
    return ws
  }

  get open (): boolean { return this.ws?.readyState === WebSocket.OPEN }

  send (frame: FuzzFrame): void {
    const ws = this.ws
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return
    this.found.sent++
    if (this.rnd() * SIGNED_SHARE < 1) {
      this.found.signed++
      this.last = signedFrame(this.rnd, this.socketId, this.pusher ? 'pusher' : 'broadcastt')
      ws.send(this.last)
    } else if (frame.kind === 'text') {
      this.last = frame.text
      ws.send(frame.text)
    } else {
      this.last = `${frame.kind} ${Buffer.from(frame.bytes).toString('hex')}`
      ws.send(Buffer.from(frame.bytes), { binary: frame.kind === 'binary' })
    }
  }

  /** A ping round trip (or the close): everything sent before has been handled. Reconnects when closed. */
  async sync (): Promise<void> {
    const ws = this.ws
    if (ws !== undefined && ws.readyState === WebSocket.OPEN) {
      await new Promise<void>((resolve) => {
        const onMessage = (raw: WebSocket.RawData): void => { if (raw.toString().includes(':pong"')) done() }
        const done = (): void => { ws.off('message', onMessage); ws.off('close', done); resolve() }
        ws.on('message', onMessage)
        ws.on('close', done)
        ws.send(JSON.stringify({ event: `${this.pusher ? 'pusher' : 'broadcastt'}:ping`, data: {} }))
      })
    }
    if (this.ws === undefined || this.ws.readyState !== WebSocket.OPEN) {
      // A server close still in its handshake completes (its code is the answer); dropping it would be 1006.
      if (this.ws !== undefined && this.ws.readyState !== WebSocket.CLOSED) await once(this.ws, 'close')
      await this.connect()
    }
  }

  close (): void {
    this.closing = true
    this.ws?.terminate()
  }
}

async function fuzzRequests (server: TestServer, seed: number, count: number, found: FuzzFindings): Promise<void> {
  const requests = fc.sample(requestArbitrary, { seed, numRuns: count })
  for (const request of requests) {
    const path = `/apps/${TEST_APP.id}${request.route}`
    const query = request.sign
      ? Object.entries(signRequest(TEST_APP, request.method, path, Object.fromEntries(request.query.filter(([k]) =>
        !['auth_key', 'auth_timestamp', 'auth_signature', 'auth_version', 'body_md5'].includes(k.toLowerCase()))), request.body))
        .flatMap(([k, v]) => typeof v === 'string' ? [[k, v]] : v.map((x) => [k, x]))
      : request.query
    const search = new URLSearchParams(query as Array<[string, string]>).toString()
    const body = request.method === 'GET' ? undefined : request.body
    const response = await fetch(`http://127.0.0.1:${server.port}${path}${search === '' ? '' : '?' + search}`, {
      method: request.method,
      headers: request.contentType === undefined ? {} : { 'content-type': request.contentType },
      ...(body === undefined ? {} : { body })
    }).catch((error: Error) => ({ status: -1, text: async () => error.message }))
    const text = await response.text()
    note(found.restStatuses, response.status)
    if (response.status >= 500 || response.status < 200) {
      found.restProblems.push(`${request.method} ${request.route} answered ${response.status}: ${text.slice(0, 200)}`)
    } else if (response.status >= 400 && !/"code":"FST_/.test(text)) {
      found.restProblems.push(`${request.method} ${request.route} answered ${response.status} without a coded error: ${text.slice(0, 200)}`)
    }
  }
}

/** The sum of the server's internal error counters, read from its Prometheus text. */
async function errorCounter (server: TestServer): Promise<number> {
  const { body } = await server.app.broadcastt.metrics()
  let sum = 0
  for (const name of ['broadcastt_background_errors_total', 'broadcastt_adapter_publish_errors_total']) {
    const line = body.split('\n').find((l) => l.startsWith(name + ' '))
    if (line === undefined) throw new Error(`${name} is not exported`)
    sum += Number(line.slice(name.length + 1))
  }
  return sum
}

export interface FuzzRun {
  seed: number
  frames: number
  requests: number
  /** Extra options for the server (a planted adapter, for the guards' test). */
  options?: Partial<BroadcasttOptions>
  /** Called once the server is up, before any frame (to plant a failure). */
  setup?: (server: TestServer) => void
}

export async function runFuzz (t: Test, run: FuzzRun): Promise<FuzzFindings> {
  const log = captureLog()
  // The frame budget would drop most generated frames unread (test/hub/frame-budget.test.ts covers it): off.
  const app = { ...TEST_APP, watchlist: true, encryptionMasterKey: FUZZ_MASTER_KEY, limits: { framesPerSecond: 0 } }
  const server = await startServer(t, { apps: [app], metrics: { enabled: true }, ...run.options }, undefined, log.stream)
  run.setup?.(server)
  const observer = await open(t, server.wsUrl())
  if (!(await observer.subscribe('obs')).event.endsWith('succeeded')) throw new Error('observer could not subscribe')
  const found: FuzzFindings = {
    seed: run.seed,
    sent: 0,
    signed: 0,
    answers: 0,
    errors: new Map(),
    closes: new Map(),
    bad: [],
    internal: [],
    errorLogs: [],
    errorCounter: 0,
    triggered: 0,
    received: 0,
    observerOpen: false,
    restStatuses: new Map(),
    restProblems: [],
    heapGrowth: 0,
    seconds: 0
  }
  const fuzzers = Array.from({ length: CONNECTIONS }, (_, i) => new Fuzzer(server, i % 2 === 0, found, run.seed + i))
  await Promise.all(fuzzers.map(async (f) => await f.connect()))
  gc()
  const heapBefore = process.memoryUsage().heapUsed
  const started = process.hrtime.bigint()

  observer.ws.on('message', (raw) => { if (raw.toString().includes('"event":"obs-event"')) found.received++ })
  const source = frames(run.seed, run.frames)
  let exhausted = false
  while (!exhausted) {
    await Promise.all(fuzzers.map(async (fuzzer) => {
      for (let i = 0; i < BATCH; i++) {
        const next = source.next()
        if (next.done === true) { exhausted = true; break }
        if (!fuzzer.open) await fuzzer.sync() // the server closed it: reconnect, so every frame is sent
        fuzzer.send(next.value)
      }
      await fuzzer.sync()
    }))
    await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['obs'], name: 'obs-event', data: { n: found.triggered++ } })
  }
  await observer.settle()
  found.seconds = Number(process.hrtime.bigint() - started) / 1e9

  await fuzzRequests(server, run.seed, run.requests, found)

  for (const fuzzer of fuzzers) fuzzer.close()
  await observer.settle()
  gc()
  found.heapGrowth = process.memoryUsage().heapUsed - heapBefore
  found.observerOpen = observer.ws.readyState === WebSocket.OPEN
  found.errorCounter = await errorCounter(server)
  found.errorLogs = log.lines.filter((line) => Number(line.level) >= 50)
  return found
}

/** Every sign of an internal failure, by guard; all empty when the server handled everything as specified. */
export function guardProblems (found: FuzzFindings): { internalAnswers: string[], errorCounter: string[], errorLogs: string[] } {
  return {
    internalAnswers: found.internal.slice(0, 10),
    errorCounter: found.errorCounter === 0 ? [] : [`the internal error counters add up to ${found.errorCounter}`],
    errorLogs: found.errorLogs.slice(0, 10).map((line) => JSON.stringify(line).slice(0, 400))
  }
}
