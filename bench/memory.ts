/**
 * `npm run bench:memory [-- CONNECTIONS CHANNELS]` (defaults 2000 and 20): what a connection and a
 * subscription cost the standalone server (built from this checkout, as `npm start` runs it), measured on
 * the server process between settled samples after forced GCs (bench/ipc.ts). Three steps:
 * CONNECTIONS clients connect and subscribe to one shared channel (→ per connection); then each subscribes
 * to CHANNELS channels of its own (→ per subscription when every subscription opens a channel, the worst
 * case); then each subscribes to CHANNELS channels shared by all (→ per subscription to an occupied channel).
 * docs/operations.md quotes its output.
 */
import { execFileSync } from 'node:child_process'
import { FULL_SETTLE, type MemorySample } from './ipc.js'
import { closeClients, openSubscribed, pooled, subscribe, type Client } from './pusher.js'
import { Server } from './servers.js'

const connections = Number(process.argv[2] ?? 2000)
const channels = Number(process.argv[3] ?? 20)

const heap = (m: MemorySample): number => m.usage.heapUsed
const rss = (m: MemorySample): number => m.usage.rss - m.youngBytes

async function subscribeAll (clients: readonly Client[], name: (k: number, j: number) => string): Promise<void> {
  await pooled(clients.length, 64, async (k) => {
    for (let j = 0; j < channels; j++) await subscribe(clients[k] as Client, name(k, j))
  })
}

async function main (): Promise<void> {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' })
  const server = await Server.start('ours')
  let clients: Client[] = []
  try {
    closeClients(await openSubscribed(server.wsUrl, 200, () => 'warmup'))
    const start = await server.memory(FULL_SETTLE)
    clients = await openSubscribed(server.wsUrl, connections, () => 'shared')
    const opened = await server.memory(FULL_SETTLE)
    await subscribeAll(clients, (k, j) => `own-${k}-${j}`)
    const own = await server.memory(FULL_SETTLE)
    await subscribeAll(clients, (_, j) => `common-${j}`)
    const common = await server.memory(FULL_SETTLE)
    const subscriptions = connections * channels
    const line = (what: string, from: MemorySample, to: MemorySample, n: number): string =>
      `${what}: heap ${Math.round((heap(to) - heap(from)) / n)} B, RSS ${Math.round((rss(to) - rss(from)) / n)} B`
    console.log(`${connections} connections, ${channels} channels each; node ${process.version}`)
    console.log(line('per connection (with one subscription to a shared channel)', start, opened, connections))
    console.log(line('per subscription, each to a channel of its own', opened, own, subscriptions))
    console.log(line('per subscription to a channel others are subscribed to', own, common, subscriptions))
  } finally {
    closeClients(clients)
    await server.close()
  }
}

await main()
