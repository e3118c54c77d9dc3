/**
 * Many small channels: N clients, each alone on its own channel; events go to random channels at a fixed
 * rate (signed `batch_events` requests of 10, sent every 10 ms as the schedule falls due). Figures: the
 * server's CPU per event and the latency from the request to receipt.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { Deliveries } from '../clients.js'
import { eventData } from '../ipc.js'
import { closeClients, openSubscribed, Rest } from '../pusher.js'
import type { Server } from '../servers.js'
import { now, until, type BenchOptions, type Figures } from './common.js'

const BATCH = 10
const TICK_MS = 10

export async function channels (server: Server, options: BenchOptions): Promise<Figures> {
  const n = options.channelConnections
  const m = options.channelRate * options.channelSeconds
  const clients = await openSubscribed(server.wsUrl, n, (k) => `c-${k}`)
  const rest = new Rest(server.httpUrl, 8)
  try {
    const deliveries = new Deliveries(1, m)
    deliveries.attach(clients.map((c) => c.socket))
    let failure: Error | undefined
    deliveries.onClientClosed = (code) => { failure ??= new Error(`a client was closed (${code})`) }
    let sent = 0
    const cpuBefore = await server.cpu()
    const start = now()
    while (sent < m && failure === undefined) {
      const due = Math.min(m, Math.floor((now() - start) / 1000 * options.channelRate))
      while (sent < due) {
        const batch = []
        for (let k = 0; k < BATCH && sent < due; k++, sent++) {
          deliveries.requestedAt[sent] = now()
          batch.push({ name: 'tick', channel: `c-${Math.floor(Math.random() * n)}`, data: eventData(sent, '') })
        }
        rest.post('batch_events', JSON.stringify({ batch })).catch((error: Error) => { failure ??= error })
      }
      await delay(TICK_MS)
    }
    await until(() => deliveries.completed === m || failure !== undefined, () => deliveries.total, 'channels')
    if (failure !== undefined) throw failure
    const cpu = await server.cpu() - cpuBefore
    const latency = deliveries.percentiles('request')
    return { channelsCpuPerEvent: cpu * 1e6 / m, channelsP50: latency.p50, channelsP99: latency.p99 }
  } finally {
    closeClients(clients)
    await rest.close()
  }
}
