/**
 * Abuse soak (this project only; `npm run bench -- abuse`). 1,000 well-behaved subscribers (50 per client
 * address, 20 of them also presence members) receive 50 events a second on 10 channels, first alone (the
 * quiet run), then on a fresh server beside 20 hostile connections from addresses of their own, each doing
 * one attack at full speed and reconnecting whenever it is closed: presence join/leave churn with 900 bytes
 * of user_info, subscribe/unsubscribe of unique public channels (the webhook flood), client-event floods,
 * ping and malformed-frame floods, channel hoarding over as many connections as the address may open, and
 * unsigned REST requests with a query of 7,000 repeated keys. The server runs with the standalone defaults
 * (frame budget, per-address cap, 100 channels per connection) and webhooks for every event type to a
 * receiver in this process. Figures: the well-behaved clients' p99 latency in both runs and their lost
 * deliveries, heap growth across the hostile run, webhook events delivered and dropped.
 */
import { createServer, type Server as HttpServer } from 'node:http'
import { setImmediate as turn, setTimeout as delay } from 'node:timers/promises'
import { request } from 'undici'
import { WebSocket, type RawData } from 'ws'
import { Deliveries } from '../clients.js'
import { eventData } from '../ipc.js'
import { presenceAuth, Rest } from '../pusher.js'
import { APP, Server } from '../servers.js'
import { until, type BenchOptions, type Figures } from './common.js'
import { createHmac } from 'node:crypto'

const GOOD = 1000
const PER_ADDRESS = 50
const CHANNELS = 10
const EVENTS_PER_SECOND = 50
const PRESENCE_MEMBERS = 20
const HOSTILE = 20
const ROLES = ['churn', 'channels', 'client', 'junk', 'hoard', 'rest'] as const
type Role = typeof ROLES[number]

/** Opens a pusher-protocol connection from `address` and resolves with it and its socket id (or undefined when refused). */
function connectFrom (url: string, address: string): Promise<{ socket: WebSocket, socketId: string } | undefined> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, localAddress: address })
    socket.on('error', () => { resolve(undefined) })
    socket.once('message', (raw: RawData) => {
      const match = /socket_id\\":\\"([^\\]+)\\"/.exec(String(raw))
      if (match?.[1] === undefined) {
        socket.terminate()
        resolve(undefined)
      } else resolve({ socket, socketId: match[1] })
    })
  })
}

const send = (socket: WebSocket, event: string, data: unknown, channel?: string): void => {
  socket.send(JSON.stringify({ event, data, ...(channel === undefined ? {} : { channel }) }))
}

const privateAuth = (socketId: string, channel: string): string =>
  `${APP.key}:${createHmac('sha256', APP.secret).update(`${socketId}:${channel}`).digest('hex')}`

/** What the hostile connections saw: closes by code and 4303 refusals. */
class Tally {
  readonly closes = new Map<number, number>()
  refusals = 0
  running = true
}

/** Writes `next()` frames as fast as the socket takes them, until it closes or the run stops. */
async function blast (socket: WebSocket, tally: Tally, next: () => string): Promise<void> {
  while (tally.running && socket.readyState === WebSocket.OPEN) {
    while (socket.bufferedAmount < 256 * 1024 && socket.readyState === WebSocket.OPEN) socket.send(next())
    await turn()
  }
}

/** One hostile connection doing its attack, reconnecting at once whenever the server closes it. */
async function hostile (url: string, httpUrl: string, role: Role, id: number, tally: Tally): Promise<void> {
  const address = `127.0.2.${id + 1}`
  let n = 0
  while (tally.running) {
    if (role === 'rest') {
      await request(`${httpUrl}/apps/${APP.id}/channels?${'k&'.repeat(7000)}`).then(async (r) => { await r.body.dump() }, () => {})
      continue
    }
    const conn = await connectFrom(url, address)
    if (conn === undefined) { await delay(10); continue }
    const { socket, socketId } = conn
    socket.on('message', (raw: RawData) => { if (String(raw).includes('4303')) tally.refusals++ })
    const closed = new Promise<void>((resolve) => {
      socket.on('close', (code) => { tally.closes.set(code, (tally.closes.get(code) ?? 0) + 1); resolve() })
    })
    if (role === 'churn') {
      const channelData = JSON.stringify({ user_id: `churner-${id}`, user_info: { pad: 'x'.repeat(900) } })
      const auth = presenceAuth(socketId, 'presence-room', channelData)
      let on = false
      await blast(socket, tally, () => {
        on = !on
        return on
          ? JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'presence-room', auth, channel_data: channelData } })
          : '{"event":"pusher:unsubscribe","data":{"channel":"presence-room"}}'
      })
    } else if (role === 'channels') {
      let on = false
      await blast(socket, tally, () => {
        on = !on
        if (on) n++
        return JSON.stringify({ event: on ? 'pusher:subscribe' : 'pusher:unsubscribe', data: { channel: `h-${id}-${n}` } })
      })
    } else if (role === 'client') {
      send(socket, 'pusher:subscribe', { channel: 'private-h', auth: privateAuth(socketId, 'private-h') })
      const frame = JSON.stringify({ event: 'client-spam', channel: 'private-h', data: { pad: 'x'.repeat(500) } })
      await blast(socket, tally, () => frame)
    } else if (role === 'junk') {
      const frames = ['{"event":"pusher:ping","data":{}}', 'not json', '{"event":"pusher:nope"}', '{"event":1}']
      await blast(socket, tally, () => frames[n++ % frames.length] as string)
    } else {
      // Hoard: this address's whole allowance of connections, each with as many channels as it may hold.
      const hoard = [socket]
      for (let k = 0; k < 200 && tally.running; k++) {
        const more = await connectFrom(url, address)
        if (more === undefined) break
        hoard.push(more.socket)
      }
      for (const s of hoard) for (let c = 0; c < 120; c++) send(s, 'pusher:subscribe', { channel: `hoard-${id}-${n++}` })
      while (tally.running && socket.readyState === WebSocket.OPEN) await delay(100)
      for (const s of hoard) s.terminate()
    }
    socket.terminate()
    await closed
  }
}

/** The webhook receiver: counts the events it is sent. */
async function webhookReceiver (): Promise<{ server: HttpServer, url: string, events: () => number }> {
  let events = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => { chunks.push(chunk) })
    req.on('end', () => {
      events += (JSON.parse(Buffer.concat(chunks).toString()) as { events: unknown[] }).events.length
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const { port } = server.address() as { port: number }
  return { server, url: `http://127.0.0.1:${port}/hook`, events: () => events }
}

/** One run: the well-behaved clients receive `seconds` of events, with the hostile connections or without. */
async function run (seconds: number, withHostile: boolean, options: BenchOptions): Promise<Figures> {
  const hook = await webhookReceiver()
  const eventTypes = ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event', 'cache_miss', 'subscription_count']
  const server = await Server.start('ours', {
    ours: { apps: [{ ...APP, clientEvents: true, webhooks: [{ url: hook.url, eventTypes }] }] }
  })
  const events = seconds * EVENTS_PER_SECOND
  const deliveries = new Deliveries(GOOD / CHANNELS, events)
  const good: WebSocket[] = []
  const tally = new Tally()
  const rest = new Rest(server.httpUrl, 4)
  try {
    for (let k = 0; k < GOOD; k++) {
      const conn = await connectFrom(server.wsUrl, `127.0.1.${Math.floor(k / PER_ADDRESS) + 1}`)
      if (conn === undefined) throw new Error(`well-behaved client ${k} was refused`)
      send(conn.socket, 'pusher:subscribe', { channel: `good-${k % CHANNELS}` })
      if (k < PRESENCE_MEMBERS) {
        const channelData = JSON.stringify({ user_id: `member-${k}`, user_info: { name: `m${k}` } })
        send(conn.socket, 'pusher:subscribe', { channel: 'presence-room', auth: presenceAuth(conn.socketId, 'presence-room', channelData), channel_data: channelData })
      }
      good.push(conn.socket)
    }
    await delay(1000) // the subscriptions are answered
    let closedGood = 0
    deliveries.onClientClosed = () => { closedGood++ }
    deliveries.attach(good)
    const before = await server.memory(options.settle)
    const webhooksBefore = hook.events()
    const attackers = withHostile
      ? Array.from({ length: HOSTILE }, async (_, id) => { await hostile(server.wsUrl, server.httpUrl, ROLES[id % ROLES.length] as Role, id, tally) })
      : []
    const started = performance.now()
    for (let i = 0; i < events; i += 5) {
      const batch = []
      for (let j = i; j < Math.min(i + 5, events); j++) {
        batch.push({ name: 'tick', channel: `good-${j % CHANNELS}`, data: eventData(j, '') })
        deliveries.requestedAt[j] = performance.timeOrigin + performance.now()
      }
      await rest.post('batch_events', JSON.stringify({ batch }))
      const due = started + (i + 5) * 1000 / EVENTS_PER_SECOND
      const wait = due - performance.now()
      if (wait > 0) await delay(wait)
    }
    tally.running = false
    await Promise.all(attackers)
    const expected = events * GOOD / CHANNELS
    await until(() => deliveries.total >= expected || closedGood > 0, () => deliveries.total, 'abuse: deliveries').catch(() => {})
    await delay(2000) // webhook batches and debounced events go out
    const after = await server.memory(options.settle)
    const { p99 } = deliveries.percentiles('server')
    const metrics = await (await request(`${server.httpUrl}/metrics`)).body.text()
    const overflow = [...metrics.matchAll(/^broadcastt_webhook_overflow_events_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0)
    const figures: Figures = withHostile
      ? {
          abuseP99: p99,
          abuseLost: expected - deliveries.total,
          abuseHeapGrowth: after.usage.heapUsed - before.usage.heapUsed,
          abuseWebhooksDelivered: hook.events() - webhooksBefore,
          abuseWebhookOverflow: overflow,
          abuseHostileCloses: [...tally.closes.values()].reduce((a, b) => a + b, 0),
          abuseFrameRefusals: tally.refusals
        }
      : { abuseQuietP99: p99, abuseQuietLost: expected - deliveries.total }
    console.log(`  ${withHostile ? 'hostile' : 'quiet'} run: ${JSON.stringify(figures)}; hostile closes ${JSON.stringify(Object.fromEntries(tally.closes))}`)
    return figures
  } finally {
    tally.running = false
    for (const socket of good) socket.terminate()
    await rest.close()
    await server.close()
    await new Promise((resolve) => { hook.server.close(resolve) })
  }
}

/** `_server` is not used: each run needs a fresh server with this scenario's configuration. */
export async function abuse (_server: Server, options: BenchOptions): Promise<Figures> {
  const seconds = options.quick ? 10 : 60
  const quiet = await run(seconds, false, options)
  return { ...quiet, ...await run(seconds, true, options) }
}
