/**
 * The hostile side of the abuse scenario, in its own process: `node --import tsx abuse-hostile.ts WS_URL
 * HTTP_URL` runs 20 hostile connections from addresses 127.0.2.x, each doing one attack at full speed and
 * reconnecting whenever the server closes it, until the parent sends `stop`; then it reports what it saw
 * (closes by code, 4303 refusals) and exits.
 */
import { createHmac } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { setImmediate as turn, setTimeout as delay } from 'node:timers/promises'
import { request } from 'undici'
import { WebSocket, type RawData } from 'ws'
import { presenceAuth } from '../pusher.js'
import { APP } from '../servers.js'

const HOSTILE = 20
const ROLES = ['churn', 'channels', 'client', 'junk', 'hoard', 'rest'] as const
type Role = typeof ROLES[number]

export interface HostileReport { closes: Record<number, number>, refusals: number }

/** Opens a pusher-protocol connection from `address` and resolves with it and its socket id (or undefined when refused). */
export function connectFrom (url: string, address: string): Promise<{ socket: WebSocket, socketId: string } | undefined> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, localAddress: address })
    socket.on('error', () => { resolve(undefined) })
    socket.on('close', () => { resolve(undefined) })
    socket.once('message', (raw: RawData) => {
      const match = /socket_id\\":\\"([^\\]+)\\"/.exec(String(raw))
      if (match?.[1] === undefined) {
        socket.terminate()
        resolve(undefined)
      } else resolve({ socket, socketId: match[1] })
    })
  })
}

export const send = (socket: WebSocket, event: string, data: unknown, channel?: string): void => {
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

/**
 * Writes `next()` frames as fast as the socket takes them, until it closes or the run stops: up to 64 per
 * event-loop turn (the kernel takes loopback writes at once, so waiting for `bufferedAmount` alone would never
 * yield, and the close would never be seen).
 */
async function blast (socket: WebSocket, tally: Tally, next: () => string): Promise<void> {
  while (tally.running && socket.readyState === WebSocket.OPEN) {
    for (let k = 0; k < 64 && socket.bufferedAmount < 256 * 1024; k++) socket.send(next())
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [url = '', httpUrl = ''] = process.argv.slice(2)
  const tally = new Tally()
  const attackers = Array.from({ length: HOSTILE }, async (_, id) => {
    await hostile(url, httpUrl, ROLES[id % ROLES.length] as Role, id, tally)
  })
  process.once('message', () => {
    tally.running = false
    void Promise.all(attackers).then(() => {
      const report: HostileReport = { closes: Object.fromEntries(tally.closes), refusals: tally.refusals }
      process.send?.(report, () => { process.exit(0) })
    })
  })
}
