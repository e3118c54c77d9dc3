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
 * deliveries, the server's CPU in both runs (cores busy), heap growth across the hostile run, webhook events
 * delivered and dropped. With --cpu-prof each run's measured phase is profiled.
 */
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type Server as HttpServer } from 'node:http'
import { setPriority } from 'node:os'
import { setTimeout as delay } from 'node:timers/promises'
import { request } from 'undici'
import type { WebSocket } from 'ws'
import { Deliveries } from '../clients.js'
import { eventData } from '../ipc.js'
import { presenceAuth, Rest } from '../pusher.js'
import { APP, Server } from '../servers.js'
import { connectFrom, send, type HostileReport } from './abuse-hostile.js'
import { until, type BenchOptions, type Figures } from './common.js'

const GOOD = 1000
const PER_ADDRESS = 50
const CHANNELS = 10
const EVENTS_PER_SECOND = 50
const PRESENCE_MEMBERS = 20

/**
 * The hostile connections, in a process of their own (bench/scenarios/abuse-hostile.ts): at full speed they
 * would otherwise starve the well-behaved clients' event loop in this one, and the figures would measure the
 * driver. That process runs at the lowest CPU priority: it sends as fast as the cores the server and the
 * driver leave idle allow, so on a small machine the figures show what hostile traffic costs the server, not
 * the CPU the load generator takes from it (attackers do not run on the server's machine). Resolves with a
 * function that stops them and returns what they saw.
 */
function startHostile (server: Server): () => Promise<HostileReport> {
  const child = fork(new URL('abuse-hostile.ts', import.meta.url).pathname, [server.wsUrl, server.httpUrl],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  if (child.pid !== undefined) setPriority(child.pid, 19)
  return async () => {
    const report = once(child, 'message') as Promise<[HostileReport]>
    child.send('stop')
    const [tally] = await report
    await once(child, 'exit')
    return tally
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
    profileDir: options.profileDir,
    ours: { apps: [{ ...APP, clientEvents: true, webhooks: [{ url: hook.url, eventTypes }] }] }
  })
  const events = seconds * EVENTS_PER_SECOND
  const deliveries = new Deliveries(GOOD / CHANNELS, events)
  const good: WebSocket[] = []
  let stopHostile: (() => Promise<HostileReport>) | undefined
  let hostile: HostileReport = { closes: {}, refusals: 0 }
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
    console.log(`    ${GOOD} well-behaved clients connected`)
    await delay(1000) // the subscriptions are answered
    let closedGood = 0
    deliveries.onClientClosed = () => { closedGood++ }
    deliveries.attach(good)
    const before = await server.memory(options.settle)
    console.log('    memory sampled; the run starts')
    const webhooksBefore = hook.events()
    const cpuBefore = await server.cpu()
    if (withHostile) stopHostile = startHostile(server)
    const started = performance.now()
    const progress = setInterval(() => {
      console.log(`    ${Math.round((performance.now() - started) / 1000)} s: ${deliveries.total} deliveries`)
    }, 5000)
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
    clearInterval(progress)
    const cpuShare = (await server.cpu() - cpuBefore) * 1000 / (performance.now() - started)
    if (stopHostile !== undefined) hostile = await stopHostile()
    stopHostile = undefined
    const expected = events * GOOD / CHANNELS
    await until(() => deliveries.total >= expected || closedGood > 0, () => deliveries.total, 'abuse: deliveries').catch(() => {})
    await delay(2000) // webhook batches and debounced events go out
    const after = await server.memory(options.settle)
    const { p99 } = deliveries.percentiles('server')
    const metrics = await (await request(`${server.httpUrl}/metrics`)).body.text()
    const total = (name: string): number => [...metrics.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0)
    const overflow = total('broadcastt_webhook_overflow_events_total')
    const figures: Figures = withHostile
      ? {
          abuseP99: p99,
          abuseLost: expected - deliveries.total,
          abuseHeapGrowth: after.usage.heapUsed - before.usage.heapUsed,
          abuseWebhooksDelivered: hook.events() - webhooksBefore,
          abuseWebhookOverflow: overflow,
          abuseHostileCloses: Object.values(hostile.closes).reduce((a, b) => a + b, 0),
          abuseFrameRefusals: total('broadcastt_frame_rate_refusals_total'),
          abuseServerCpu: cpuShare
        }
      : { abuseQuietP99: p99, abuseQuietLost: expected - deliveries.total, abuseQuietServerCpu: cpuShare }
    console.log(`  ${withHostile ? 'hostile' : 'quiet'} run: ${JSON.stringify(figures)}; hostile closes ${JSON.stringify(hostile.closes)}, 4303 answers ${hostile.refusals}`)
    return figures
  } finally {
    await stopHostile?.()
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
