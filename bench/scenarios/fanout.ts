/**
 * Fan-out: N subscribers on one channel, M events triggered by signed REST requests with a window of K in
 * flight (the next one when an event has reached every subscriber), so the server is saturated without the
 * bench building a backlog of its own. Figures: server CPU per delivery, deliveries/s, latency from the
 * driver's request to receipt.
 */
import { Deliveries } from '../clients.js'
import { eventData } from '../ipc.js'
import { closeClients, openSubscribed, Rest } from '../pusher.js'
import type { Server } from '../servers.js'
import { now, until, type Figures, type BenchOptions } from './common.js'

export async function fanout (server: Server, options: BenchOptions): Promise<Figures> {
  const { subscribers: n, events: m, window } = options
  const padding = 'x'.repeat(options.payload)
  const clients = await openSubscribed(server.wsUrl, n, () => 'bench')
  const rest = new Rest(server.httpUrl, window)
  try {
    const deliveries = new Deliveries(n, m)
    deliveries.attach(clients.map((c) => c.socket))
    let failure: Error | undefined
    deliveries.onClientClosed = (code) => { failure ??= new Error(`a client was closed (${code})`) }
    let next = 0
    const fire = (): void => {
      const i = next++
      deliveries.requestedAt[i] = now()
      const body = JSON.stringify({ name: 'tick', channel: 'bench', data: eventData(i, padding) })
      rest.post('events', body).catch((error: Error) => { failure ??= error })
    }
    deliveries.onEventComplete = () => { if (next < m) fire() }
    const cpuBefore = await server.cpu()
    const start = now()
    for (let k = 0; k < Math.min(window, m); k++) fire()
    await until(() => deliveries.completed === m || failure !== undefined, () => deliveries.total, 'fan-out')
    if (failure !== undefined) throw failure
    const seconds = (deliveries.lastAt - start) / 1000
    const cpu = await server.cpu() - cpuBefore
    if (deliveries.unexpected > 0) throw new Error(`${deliveries.unexpected} unexpected frames: ${deliveries.firstUnexpected ?? ''}`)
    const latency = deliveries.percentiles('request')
    return {
      fanoutCpuPerDelivery: cpu * 1e6 / deliveries.total,
      fanoutDeliveriesPerSecond: deliveries.total / seconds,
      fanoutP50: latency.p50,
      fanoutP99: latency.p99
    }
  } finally {
    closeClients(clients)
    await rest.close()
  }
}
