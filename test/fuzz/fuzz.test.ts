/**
 * The fuzz run (issue #7): seeded generated and mutated frames from several connections of both dialects,
 * and generated REST requests, against one server, while a well-behaved client stays connected. Asserts:
 * the process never crashes (an uncaught error fails the file); every frame gets a spec'd answer (an
 * `error` event whose code is in the wire table, a close code from the table or RFC 6455) or none; the
 * well-behaved client receives every event; the heap after GC returns to within a bound of its start.
 *
 * FUZZ_FRAMES (default 20000), FUZZ_REQUESTS (default 300) and FUZZ_SEED set the run; `npm run fuzz:long`
 * runs a million frames.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { signRequest } from '../../src/auth/request-signature.js'
import { WireError } from '../../src/protocol/wire-errors.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { frames, requestArbitrary, type FuzzFrame } from './generators.js'
import fc from 'fast-check'

const FRAMES = Number(process.env.FUZZ_FRAMES ?? 20_000)
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 300)
const SEED = Number(process.env.FUZZ_SEED ?? 20261130)
const CONNECTIONS = 4
const BATCH = 100
/** Heap growth allowed after GC, in bytes. */
const HEAP_BOUND = 24 * 1024 * 1024

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const TABLE_CODES = new Set<number | null>(Object.values(WireError).map((spec) => spec.code))
/** Close codes of the table, plus those ws itself uses for protocol violations (RFC 6455). */
const CLOSE_CODES = new Set<number>([...TABLE_CODES].filter((c): c is number => c !== null).concat([1002, 1005, 1006, 1007, 1009]))

interface Tally { sent: number, answers: number, errors: Map<string, number>, closes: Map<number, number>, bad: string[] }

function note (map: Map<string | number, number> | Map<number, number> | Map<string, number>, key: never): void {
  (map as Map<unknown, number>).set(key, ((map as Map<unknown, number>).get(key) ?? 0) + 1)
}

/** Checks one server frame against the protocol: a JSON object with an event name, `data` a JSON string. */
function checkAnswer (tally: Tally, raw: WebSocket.RawData): void {
  tally.answers++
  let frame: { event?: unknown, data?: unknown }
  try { frame = JSON.parse(raw.toString()) as typeof frame } catch { tally.bad.push(`not JSON: ${raw.toString().slice(0, 80)}`); return }
  if (typeof frame.event !== 'string') { tally.bad.push(`no event: ${raw.toString().slice(0, 80)}`); return }
  if (frame.data === undefined) return
  if (typeof frame.data !== 'string') { tally.bad.push(`data not a string: ${raw.toString().slice(0, 80)}`); return }
  let data: unknown
  try { data = JSON.parse(frame.data) } catch { tally.bad.push(`data not JSON: ${raw.toString().slice(0, 80)}`); return }
  if (frame.event.endsWith(':error')) {
    const code = (data as { code?: number | null }).code ?? null
    if (!TABLE_CODES.has(code)) tally.bad.push(`error code ${String(code)} not in the table`)
    note(tally.errors, String(code) as never)
  }
}

/** One fuzzing connection: reconnects whenever the server closed it. */
class Fuzzer {
  ws: WebSocket | undefined
  constructor (readonly server: TestServer, readonly pusher: boolean, readonly tally: Tally) {}

  async connect (): Promise<WebSocket> {
    const ws = new WebSocket(this.server.wsUrl(TEST_APP.key, this.pusher ? 'protocol=7' : ''))
    ws.on('message', (raw) => { checkAnswer(this.tally, raw) })
    ws.on('close', (code) => {
      if (!CLOSE_CODES.has(code)) this.tally.bad.push(`close code ${code}`)
      note(this.tally.closes, code as never)
    })
    ws.on('error', () => {}) // a close frame with a bad payload, a reset: the close code is what counts
    await new Promise<void>((resolve, reject) => { ws.once('message', () => { resolve() }); ws.once('close', reject) })
    this.ws = ws
    return ws
  }

  get open (): boolean { return this.ws?.readyState === WebSocket.OPEN }

  send (frame: FuzzFrame): void {
    const ws = this.ws
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return
    this.tally.sent++
    if (frame.kind === 'text') ws.send(frame.text)
    else ws.send(Buffer.from(frame.bytes), { binary: frame.kind === 'binary' })
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
      this.ws?.terminate()
      await this.connect()
    }
  }

  close (): void { this.ws?.terminate() }
}

async function fuzzRequests (t: Test, server: TestServer, tally: Map<number, number>): Promise<void> {
  const requests = fc.sample(requestArbitrary, { seed: SEED, numRuns: REQUESTS })
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
    note(tally, response.status as never)
    if (response.status >= 500 || response.status < 200) {
      t.fail(`${request.method} ${request.route} answered ${response.status}: ${text.slice(0, 200)}`)
    } else if (response.status >= 400 && !/"code":"FST_/.test(text)) {
      t.fail(`${request.method} ${request.route} answered ${response.status} without a coded error: ${text.slice(0, 200)}`)
    }
  }
}

t.test(`fuzz: ${FRAMES} frames and ${REQUESTS} REST requests (seed ${SEED})`, async (t) => {
  // The frame budget would drop most generated frames unread (test/hub/frame-budget.test.ts covers it): off.
  const server = await startServer(t, { apps: [{ ...TEST_APP, watchlist: true, limits: { framesPerSecond: 0 } }] })
  const observer = await open(t, server.wsUrl())
  if (!(await observer.subscribe('obs')).event.endsWith('succeeded')) throw new Error('observer could not subscribe')
  const tally: Tally = { sent: 0, answers: 0, errors: new Map(), closes: new Map(), bad: [] }
  const fuzzers = Array.from({ length: CONNECTIONS }, (_, i) => new Fuzzer(server, i % 2 === 0, tally))
  await Promise.all(fuzzers.map(async (f) => await f.connect()))
  gc()
  const heapBefore = process.memoryUsage().heapUsed
  const started = process.hrtime.bigint()

  let triggered = 0
  let received = 0
  observer.ws.on('message', (raw) => { if (raw.toString().includes('"event":"obs-event"')) received++ })
  const source = frames(SEED, FRAMES)
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
    await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['obs'], name: 'obs-event', data: { n: triggered++ } })
  }
  await observer.settle()
  const seconds = Number(process.hrtime.bigint() - started) / 1e9

  const restStatuses = new Map<number, number>()
  await fuzzRequests(t, server, restStatuses)

  for (const fuzzer of fuzzers) fuzzer.close()
  await observer.settle()
  gc()
  const heapAfter = process.memoryUsage().heapUsed

  t.same(tally.bad.slice(0, 20), [], 'every answer is a spec\'d one')
  t.ok(tally.sent >= FRAMES * 0.95, `${tally.sent} of ${FRAMES} frames were sent on open connections`)
  t.equal(received, triggered, `the well-behaved client received all ${triggered} events`)
  t.equal(observer.ws.readyState, WebSocket.OPEN, 'the well-behaved client is still connected')
  t.ok(heapAfter - heapBefore < HEAP_BOUND,
    `heap after GC within ${HEAP_BOUND / 1048576} MiB of the start (${((heapAfter - heapBefore) / 1048576).toFixed(1)} MiB)`)
  t.comment(`frames: ${tally.sent} sent in ${seconds.toFixed(1)} s (${Math.round(tally.sent / seconds)}/s), ` +
    `${tally.answers} answers; error codes ${JSON.stringify(Object.fromEntries(tally.errors))}; ` +
    `closes ${JSON.stringify(Object.fromEntries(tally.closes))}`)
  t.comment(`REST: ${REQUESTS} requests, statuses ${JSON.stringify(Object.fromEntries(restStatuses))}`)
  t.comment(`heap after GC: ${(heapBefore / 1048576).toFixed(1)} MiB before, ${(heapAfter / 1048576).toFixed(1)} MiB after`)
})
