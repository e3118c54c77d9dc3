/**
 * `node --import tsx bench/console-cost.ts [--runs 5] [--events 20000]`: what an open console tab costs on a
 * busy app. In one process: the plugin with the console on, one `ws` subscriber, and events triggered
 * back to back through `fastify.broadcastt.trigger` (no HTTP, so the console's share is not hidden behind
 * the REST API's); CPU time of the process per event, with no tab open and with one tab reading the app's
 * stream, alternating, the median of the runs. The tab reads in the same process, so its own socket reads
 * are counted too: the difference is an upper bound of the server's cost.
 */
import Fastify from 'fastify'
import { request, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import broadcastt from '../src/index.js'

const TOKEN = 'bench-console-token-0123456789'
const APP = { id: 'bench', key: 'bench-key', secret: 'bench-secret' }
const { values } = parseArgs({ options: { runs: { type: 'string' }, events: { type: 'string' } } })
const RUNS = Number(values.runs ?? 5)
const EVENTS = Number(values.events ?? 20_000)
const DATA = JSON.stringify({ message: 'x'.repeat(100) })

async function once (tabOpen: boolean): Promise<{ cpu: number, tabBytes: number }> {
  const app = Fastify({ logger: false })
  await app.register(broadcastt, { apps: [APP], console: { enabled: true, token: TOKEN } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${APP.key}?protocol=7`)
    let received = 0
    let wake: (() => void) | undefined
    ws.on('message', (raw) => {
      if (String(raw).includes('"tick"')) received++
      wake?.()
    })
    await new Promise((resolve) => ws.once('message', resolve))
    ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'busy' } }))
    await new Promise((resolve) => ws.once('message', resolve))
    let tab: IncomingMessage | undefined
    let tabBytes = 0
    if (tabOpen) {
      tab = await new Promise<IncomingMessage>((resolve) => {
        request(`http://127.0.0.1:${port}/console/api/stream?app=${APP.id}`, { headers: { authorization: `Bearer ${TOKEN}` } }, resolve).end()
      })
      tab.on('data', (chunk: Buffer) => { tabBytes += chunk.length })
    }
    const fire = async (n: number): Promise<void> => {
      const target = received + n
      for (let i = 0; i < n; i++) await app.broadcastt.trigger({ appId: APP.id, channels: ['busy'], name: 'tick', data: DATA })
      const done = (): boolean => received >= target
      while (!done()) await new Promise<void>((resolve) => { wake = resolve })
    }
    await fire(2000) // warm-up
    const before = process.cpuUsage()
    await fire(EVENTS)
    const used = process.cpuUsage(before)
    tab?.destroy()
    ws.terminate()
    return { cpu: (used.user + used.system) / EVENTS, tabBytes }
  } finally {
    await app.close()
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const closed: number[] = []
const open: number[] = []
console.log(`console cost: ${RUNS} runs x ${EVENTS} events of ${DATA.length} B, 1 subscriber; node ${process.version}, ` +
  `${os.cpus().length} cores, load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`)
for (let run = 1; run <= RUNS; run++) {
  const a = await once(false)
  const b = await once(true)
  closed.push(a.cpu)
  open.push(b.cpu)
  console.log(`run ${run}: no tab ${a.cpu.toFixed(2)} µs/event, one tab ${b.cpu.toFixed(2)} µs/event (the tab read ${(b.tabBytes / 1e6).toFixed(1)} MB)`)
}
const [c, o] = [median(closed), median(open)]
console.log(`median: no tab ${c.toFixed(2)} µs/event, one tab ${o.toFixed(2)} µs/event: +${(o - c).toFixed(2)} µs (${((o / c - 1) * 100).toFixed(0)} %); ` +
  `load average at the end ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`)
