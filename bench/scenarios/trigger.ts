/**
 * Signed trigger throughput: autocannon with 16 keep-alive connections POSTing one signed event (the same
 * signed request throughout: its timestamp stays within the server's window for the run) while one
 * subscriber listens on the channel. Figures: requests/s and the server's CPU per request. The raw loop's
 * REST side checks no signature: it is the bare Node HTTP floor.
 */
import autocannon from 'autocannon'
import type { RawData } from 'ws'
import { closeClients, openSubscribed, signedPath } from '../pusher.js'
import { APP, type Server } from '../servers.js'
import { until, type BenchOptions, type Figures } from './common.js'

export const TRIGGER_CONNECTIONS = 16

export async function trigger (server: Server, options: BenchOptions): Promise<Figures> {
  const clients = await openSubscribed(server.wsUrl, 1, () => 'bench')
  try {
    let received = 0
    clients[0]?.socket.on('message', (raw: RawData) => { if (String(raw).includes('"tick"')) received++ })
    const body = JSON.stringify({ name: 'tick', channel: 'bench', data: '{"message":"hello, bench"}' })
    const path = signedPath('POST', `/apps/${APP.id}/events`, body)
    const cpuBefore = await server.cpu()
    const result = await autocannon({
      url: server.httpUrl + path,
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
      connections: TRIGGER_CONNECTIONS,
      duration: options.triggerSeconds
    })
    const cpu = await server.cpu() - cpuBefore
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`trigger: ${result.non2xx} non-2xx answers, ${result.errors} errors of ${result.requests.total}`)
    }
    const ok = result['2xx']
    await until(() => received >= ok, () => received, `trigger: subscriber has ${received} of ${ok} events`)
    return {
      triggerRequestsPerSecond: ok / result.duration,
      triggerCpuPerRequest: cpu * 1e6 / ok,
      triggerP99: result.latency.p99
    }
  } finally {
    closeClients(clients)
  }
}
