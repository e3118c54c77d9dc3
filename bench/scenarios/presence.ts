/**
 * Presence churn: W members stay on one presence channel while C other connections join it (signed, a new
 * user each time), wait for subscription_succeeded and leave, over and over, for S seconds. Every join and
 * leave is fanned out to the members as member_added / member_removed. Figures: joins + leaves per second,
 * the server's CPU per join + leave, and a check that a member saw every one of them.
 */
import type { RawData } from 'ws'
import { closeClients, connectClient, pooled, subscribe, type Client } from '../pusher.js'
import type { Server } from '../servers.js'
import { now, until, type BenchOptions, type Figures } from './common.js'

const CHANNEL = 'presence-bench'

export async function presence (server: Server, options: BenchOptions): Promise<Figures> {
  const clients: Client[] = []
  try {
    const members = await pooled(options.presenceWatchers, 32, async (k) => {
      const client = await connectClient(server.wsUrl)
      clients.push(client)
      await subscribe(client, CHANNEL, `member-${k}`)
      return client
    })
    let added = 0
    let removed = 0
    members[0]?.socket.on('message', (raw: RawData) => {
      const text = String(raw)
      if (text.includes('member_added')) added++
      else if (text.includes('member_removed')) removed++
    })
    const churners = await pooled(options.presenceChurners, 32, async () => {
      const client = await connectClient(server.wsUrl)
      clients.push(client)
      return client
    })
    let joins = 0
    const cpuBefore = await server.cpu()
    const start = now()
    const deadline = start + options.presenceSeconds * 1000
    await Promise.all(churners.map(async (client, c) => {
      for (let j = 0; now() < deadline; j++) {
        await subscribe(client, CHANNEL, `churn-${c}-${j}`)
        joins++
        client.socket.send(JSON.stringify({ event: 'pusher:unsubscribe', data: { channel: CHANNEL } }))
      }
    }))
    await until(() => added >= joins && removed >= joins, () => added + removed, `presence: member saw ${added}/${removed} of ${joins}`)
    const seconds = (now() - start) / 1000
    const cpu = await server.cpu() - cpuBefore
    return {
      presenceOpsPerSecond: 2 * joins / seconds,
      presenceCpuPerOp: cpu * 1e6 / (2 * joins),
      presenceMemberEventsPerSecond: 2 * joins * options.presenceWatchers / seconds
    }
  } finally {
    closeClients(clients)
  }
}
