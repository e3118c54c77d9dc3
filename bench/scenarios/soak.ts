/**
 * Long run (this project only; `npm run bench -- soak`). Part 1: 1,000,000 events (quick: 100,000) in
 * signed batches of 10 to 2,000 subscribers spread over 200 channels of 10, memory sampled after forced GCs
 * every fifth of the way. Part 2: 10,000 connections (quick: 2,000) opened, subscribed and dropped, 5 times
 * (quick: 2), memory sampled after each round. The figures are growth from the first sample of each part to
 * the last: a leak shows as growth with the number of events or of past connections.
 */
import { setTimeout as delay } from 'node:timers/promises'
import type { WebSocket, RawData } from 'ws'
import { eventData, type MemorySample } from '../ipc.js'
import { closeClients, openSubscribed, pooled, Rest } from '../pusher.js'
import type { Server } from '../servers.js'
import { until, type BenchOptions, type Figures } from './common.js'

const CHANNELS = 200
const SUBSCRIBERS = 2000
const BATCH = 10
const IN_FLIGHT = 8
const CHECKPOINTS = 5

const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`
const line = (what: string, m: MemorySample): string => `  ${what}: heap ${mb(m.usage.heapUsed)}, RSS ${mb(m.usage.rss)}`

async function events (server: Server, options: BenchOptions): Promise<Figures> {
  const total = options.quick ? 100_000 : 1_000_000
  const clients = await openSubscribed(server.wsUrl, SUBSCRIBERS, (k) => `s-${k % CHANNELS}`)
  const rest = new Rest(server.httpUrl, IN_FLIGHT)
  let received = 0
  const count = (): void => { received++ }
  for (const { socket } of clients) (socket as WebSocket).on('message', count as (raw: RawData) => void)
  try {
    const samples: MemorySample[] = [await server.memory(options.settle)]
    console.log(line('events: 0', samples[0]!))
    const cpuBefore = await server.cpu()
    let sent = 0
    for (let checkpoint = 1; checkpoint <= CHECKPOINTS; checkpoint++) {
      const target = Math.round(total * checkpoint / CHECKPOINTS)
      await pooled(Math.ceil((target - sent) / BATCH), IN_FLIGHT, async () => {
        const batch = []
        for (let k = 0; k < BATCH && sent < target; k++, sent++) {
          batch.push({ name: 'tick', channel: `s-${sent % CHANNELS}`, data: eventData(sent, '') })
        }
        if (batch.length > 0) await rest.post('batch_events', JSON.stringify({ batch }))
      })
      const expected = sent * SUBSCRIBERS / CHANNELS
      await until(() => received >= expected, () => received, `soak: ${received} of ${expected} deliveries`)
      samples.push(await server.memory(options.settle))
      console.log(line(`events: ${sent.toLocaleString('en-US')}, deliveries ${received.toLocaleString('en-US')}`, samples[samples.length - 1]!))
    }
    const cpu = await server.cpu() - cpuBefore
    const [first, last] = [samples[1]!, samples[samples.length - 1]!]
    return {
      soakEvents: total,
      soakCpuPerEvent: cpu * 1e6 / total,
      soakHeapGrowth: last.usage.heapUsed - first.usage.heapUsed,
      soakRssGrowth: last.usage.rss - first.usage.rss
    }
  } finally {
    closeClients(clients)
    await rest.close()
  }
}

async function churn (server: Server, options: BenchOptions): Promise<Figures> {
  const n = options.quick ? 2000 : 10_000
  const rounds = options.quick ? 2 : 5
  const samples: MemorySample[] = []
  for (let round = 1; round <= rounds; round++) {
    const clients = await openSubscribed(server.wsUrl, n, (k) => `churn-${k % 100}`)
    closeClients(clients)
    await delay(1000)
    samples.push(await server.memory(options.settle))
    console.log(line(`connections: round ${round}, ${(round * n).toLocaleString('en-US')} opened and closed`, samples[samples.length - 1]!))
  }
  const [first, last] = [samples[0]!, samples[samples.length - 1]!]
  return { churnHeapGrowth: last.usage.heapUsed - first.usage.heapUsed, churnRssGrowth: last.usage.rss - first.usage.rss }
}

export async function soak (server: Server, options: BenchOptions): Promise<Figures> {
  const figures = await events(server, options)
  return { ...figures, ...await churn(server, options) }
}
