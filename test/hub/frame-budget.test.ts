/**
 * The frame budget of a connection: every inbound frame kind takes a token from a bucket of
 * `channelsPerConnection + frameBurst` tokens refilled at `framesPerSecond`; a frame without one is dropped
 * (the first of a run with `error` 4303), and a client that keeps sending through `frameBurst` refusals is closed with 4100. The
 * clock is the test's fake one, so nothing refills unless the test advances it.
 */
import t, { type Test } from 'tap'
import { WebSocket } from 'ws'
import type { AppInput } from '../../src/index.js'
import { SHORT_RATIONS_MS } from '../../src/hub/frame-budget.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { open, type Frame, type TestClient } from '../helpers/ws-client.js'
import { presenceAuth, signinData } from '../channels/helpers.js'

/** 5 channels + a burst of 3: 8 frames at once, then 3 refusals, then the close. */
const LIMITS = { channelsPerConnection: 5, frameBurst: 3, framesPerSecond: 10 }
const CAPACITY = LIMITS.channelsPerConnection + LIMITS.frameBurst

async function server (t: Test, limits: AppInput['limits'] = LIMITS) {
  return await startServer(t, { apps: [{ ...TEST_APP, limits }], clock: t.clock, metrics: { enabled: true, defaultMetrics: false } })
}

const isError = (f: Frame): boolean => f.event === 'pusher:error'

/**
 * The close of a connection that overspent its budget: the server sends 4100 and stops reading it, so the
 * client's answer to the close is never read and the close grace cuts the socket. The server's clock is the
 * test's: moved through the two liveness sweeps that cut it.
 */
async function closedOverBudget (t: Test, client: TestClient): Promise<{ code: number, reason: string }> {
  while (client.ws.readyState === client.ws.OPEN) await new Promise((resolve) => setImmediate(resolve))
  t.clock.advance(1000)
  t.clock.advance(1000)
  return await client.closed
}

t.test('a connection gets its capacity of frames at once, then one 4303 for a run of refused frames, then a 4100 close', async (t) => {
  const { wsUrl, app } = await server(t)
  const client = await open(t, wsUrl())
  for (let i = 0; i < CAPACITY; i++) client.send('pusher:ping', {})
  for (let i = 0; i < CAPACITY; i++) await client.next('pusher:pong')
  for (let i = 0; i < LIMITS.frameBurst; i++) client.send('pusher:ping', {})
  t.match((await client.next(isError)).json, { code: 4303, message: /at most 10 frames per second .* dropped without an answer/ })
  client.send('pusher:ping', {})
  for (let i = 0; i < 50; i++) client.send('pusher:ping', {}) // on their way before the close arrives: never handled
  const closed = await closedOverBudget(t, client)
  t.equal(closed.code, 4100, 'closed after frameBurst refused frames')
  t.match(closed.reason, /frame budget/)
  t.same(client.frames.filter(isError), [], 'only the first refused frame of the run was answered')
  t.same(client.frames.filter((f) => f.event === 'pusher:pong'), [], 'no refused frame was answered')
  const metrics = (await app.broadcastt.metrics()).body
  t.match(metrics, /broadcastt_frame_rate_refusals_total\{app="test-id"\} 4\n/, 'the 3 refused frames and the one that closed it; nothing after')
})

t.test('every frame kind takes a token', async (t) => {
  const { wsUrl } = await server(t)
  const client = await open(t, wsUrl())
  const pong = new Promise<void>((resolve) => { client.ws.once('pong', () => { resolve() }) })
  client.ws.ping() // an RFC 6455 ping: ws answers it, and it counts
  await pong
  client.ws.send('not json') // malformed
  client.ws.send(Buffer.from([1, 2, 3]), { binary: true }) // binary
  client.send('pusher:subscribe', { channel: 'a' })
  client.send('pusher:unsubscribe', { channel: 'a' })
  client.send('pusher:signin', signinData(client, { id: 'u1' }))
  client.send('client-typing', {}, 'private-x') // not subscribed: an error, but a frame all the same
  client.send('pusher:nope', {}) // unknown event
  // 8 frames taken: the next one is refused before it is even read.
  client.send('pusher:ping', {})
  const refused = await client.next((f) => isError(f) && (f.json as { code: number }).code === 4303)
  t.ok(refused, 'the ninth frame is refused')
  t.same(client.frames.filter((f) => f.event === 'pusher:pong'), [], 'the ping was not answered')
})

t.test('the bucket refills at framesPerSecond, up to its capacity', async (t) => {
  const { wsUrl } = await server(t, { ...LIMITS, framesPerSecond: 2 })
  const client = await open(t, wsUrl())
  for (let i = 0; i < CAPACITY; i++) client.send('pusher:ping', {})
  for (let i = 0; i < CAPACITY; i++) await client.next('pusher:pong')
  t.clock.advance(1000) // the liveness sweep (every second) stamps the time: 2 tokens at 2 per second
  for (let i = 0; i < 3; i++) client.send('pusher:ping', {})
  await client.next('pusher:pong')
  await client.next('pusher:pong')
  t.match((await client.next(isError)).json, { code: 4303 }, 'the third is refused')
  t.clock.advance(60_000)
  for (let i = 0; i < CAPACITY; i++) client.send('pusher:ping', {})
  for (let i = 0; i < CAPACITY; i++) await client.next('pusher:pong')
  client.send('pusher:ping', {})
  t.match((await client.next(isError)).json, { code: 4303 }, 'a minute of silence refills the capacity, no more')
  t.equal(client.ws.readyState, client.ws.OPEN, 'a client that slows down is never closed')
})

t.test('framesPerSecond 0 is unlimited', async (t) => {
  const { wsUrl } = await server(t, { ...LIMITS, framesPerSecond: 0 })
  const client = await open(t, wsUrl())
  for (let i = 0; i < 100; i++) client.send('pusher:ping', {})
  for (let i = 0; i < 100; i++) await client.next('pusher:pong')
  t.same(client.frames, [])
})

/**
 * Joins and leaves a presence channel as fast as the server answers, with one signature; once refused (the
 * only answer it then gets), as fast as it can send, until the server closes the connection. Returns the
 * frames it sent.
 */
async function churn (client: TestClient, channel: string, rounds: number): Promise<number> {
  const data = presenceAuth(client, channel, 'churner', { name: 'x'.repeat(900) })
  let sent = 0
  let refused = false
  for (let i = 0; i < rounds && client.ws.readyState === client.ws.OPEN; i++) {
    client.send('pusher:subscribe', { channel, ...data })
    client.send('pusher:unsubscribe', { channel })
    sent += 2
    if (refused) await new Promise((resolve) => setImmediate(resolve))
    else refused = isError(await client.next((f) => f.channel === channel || isError(f)))
  }
  return sent
}

t.test('presence churn by one member reaches the other members within its frame budget', async (t) => {
  const burst = 20
  const { wsUrl } = await server(t, { ...LIMITS, frameBurst: burst })
  const channel = 'presence-room'
  const observers: TestClient[] = []
  for (let i = 0; i < 3; i++) {
    const observer = await open(t, wsUrl())
    observer.send('pusher:subscribe', { channel, ...presenceAuth(observer, channel, `watcher-${i}`) })
    await observer.next('pusher_internal:subscription_succeeded')
    observers.push(observer)
  }
  const churner = await open(t, wsUrl())
  const sent = await churn(churner, channel, 500)
  t.equal((await closedOverBudget(t, churner)).code, 4100, `the churner is closed once it kept going (${sent} frames sent)`)
  // One member event per accepted frame, and the member_removed of the close.
  const budget = LIMITS.channelsPerConnection + burst + 1
  for (const observer of observers) {
    const frames = await observer.settle()
    const churns = frames.filter((f) => (f.json as { user_id?: string } | undefined)?.user_id === 'churner')
    t.ok(churns.length > 0 && churns.length <= budget,
      `an observer got ${churns.length} member events of the churner's ${sent} frames (budget ${budget})`)
  }
})

t.test('reconnecting after a 4100 for the frame budget: refused with 429 while in debt, then one second of tokens, not a fresh bucket', async (t) => {
  const limits = { ...LIMITS, framesPerSecond: 4 } // one second's worth below the bucket's capacity
  const { wsUrl, app } = await startServer(t, {
    apps: [{ ...TEST_APP, limits }], clock: t.clock, maxConnectionsPerIp: 10
  })
  /** Resolves once the server has handled the close of the connection `client` (its mark is made then). */
  const serverClosed = async (client: TestClient): Promise<void> => {
    await new Promise<void>((resolve) => {
      const seen = ({ socketId }: { socketId: string }): void => {
        if (socketId !== client.socketId) return
        app.broadcastt.off('connection_closed', seen)
        resolve()
      }
      app.broadcastt.on('connection_closed', seen)
    })
  }
  /** Pings sent before the first refusal: the tokens the connection started with. */
  const tokensAtStart = async (client: TestClient): Promise<number> => {
    for (let i = 0; i < CAPACITY + 1; i++) client.send('pusher:ping', {})
    let pongs = 0
    while (!isError(await client.next((f) => f.event === 'pusher:pong' || isError(f)))) pongs++
    return pongs
  }
  const first = await open(t, wsUrl())
  const firstClosed = serverClosed(first)
  t.equal(await tokensAtStart(first), CAPACITY, 'a first connection gets the full bucket')
  const bystander = await open(t, wsUrl()) // opened before the close: it keeps its full bucket
  for (let i = 0; i < LIMITS.frameBurst; i++) first.send('pusher:ping', {})
  while (first.ws.readyState === first.ws.OPEN) await new Promise((resolve) => setImmediate(resolve))

  // At once, before the old socket is even cut: the address is in debt, its upgrade is refused unmade.
  const refusal = await upgradeRefusal(wsUrl())
  t.match(refusal, { status: 429, retryAfter: '1', body: { statusCode: 429, code: 'FST_BROADCASTT_RATE_LIMITED', message: /frame budget/ } },
    'reconnecting at once: HTTP 429 with Retry-After, no WebSocket')
  t.equal((await closedOverBudget(t, first)).code, 4100)
  await firstClosed
  // 2 s after the close at 4 per second: the debt (4 tokens) is paid, one second's worth at most.

  const again = await open(t, wsUrl())
  const againClosed = serverClosed(again)
  t.equal(await tokensAtStart(again), limits.framesPerSecond, 'the same address reconnecting: one second of tokens')
  t.equal(await tokensAtStart(bystander), CAPACITY, 'a connection already open is not affected')
  t.equal((await closedOverBudget(t, again)).code, 4100, 'it overspent too (its close marks the address again)')
  await againClosed
  t.clock.advance(SHORT_RATIONS_MS + 5_000) // the heartbeat's clock reading moves on its ticks
  const later = await open(t, wsUrl())
  t.equal(await tokensAtStart(later), CAPACITY, 'a minute later the address gets a full bucket again')
})

/** The HTTP answer to an upgrade the server refuses before making it. */
async function upgradeRefusal (url: string): Promise<{ status: number, retryAfter: unknown, body: unknown }> {
  const ws = new WebSocket(url)
  return await new Promise((resolve, reject) => {
    ws.on('open', () => { ws.terminate(); reject(new Error('the upgrade was made')) })
    ws.on('error', () => {})
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body: JSON.parse(body) })
        ws.terminate()
      })
    })
  })
}

t.test('without a per-address cap no address is read, and a reconnect gets a full bucket', async (t) => {
  const { wsUrl } = await server(t)
  const first = await open(t, wsUrl())
  for (let i = 0; i < CAPACITY + LIMITS.frameBurst + 1; i++) first.send('pusher:ping', {})
  t.equal((await closedOverBudget(t, first)).code, 4100)
  const again = await open(t, wsUrl())
  for (let i = 0; i < CAPACITY + 1; i++) again.send('pusher:ping', {})
  let pongs = 0
  while (!isError(await again.next((f) => f.event === 'pusher:pong' || isError(f)))) pongs++
  t.equal(pongs, CAPACITY, 'the full bucket')
})
