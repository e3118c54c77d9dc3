/**
 * The bench's Pusher-protocol client side: signed REST requests (auth_signature over the sorted query, with
 * body_md5), presence channel auth, and WebSocket clients that connect, subscribe and unsubscribe.
 */
import { createHash, createHmac } from 'node:crypto'
import { Pool } from 'undici'
import { WebSocket, type RawData } from 'ws'
import { APP } from './servers.js'

/** `path?query` of a signed REST request (Pusher REST API signature, auth_version 1.0). */
export function signedPath (method: string, path: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const query = `auth_key=${APP.key}&auth_timestamp=${timestamp}&auth_version=1.0&body_md5=${createHash('md5').update(body).digest('hex')}`
  const signature = createHmac('sha256', APP.secret).update(`${method}\n${path}\n${query}`).digest('hex')
  return `${path}?${query}&auth_signature=${signature}`
}

/** The `auth` of a presence subscription, as an app's auth endpoint would sign it. */
export function presenceAuth (socketId: string, channel: string, channelData: string): string {
  return `${APP.key}:${createHmac('sha256', APP.secret).update(`${socketId}:${channel}:${channelData}`).digest('hex')}`
}

/** A keep-alive connection pool that POSTs signed events. */
export class Rest {
  readonly pool: Pool
  constructor (url: string, connections = 4) { this.pool = new Pool(url, { connections, pipelining: 1 }) }

  async post (what: 'events' | 'batch_events', body: string): Promise<void> {
    const path = `/apps/${APP.id}/${what}`
    const response = await this.pool.request({ method: 'POST', path: signedPath('POST', path, body), body, headers: { 'content-type': 'application/json' } })
    const text = await response.body.text()
    if (response.statusCode !== 200) throw new Error(`POST ${path}: ${response.statusCode} ${text.slice(0, 200)}`)
  }

  async close (): Promise<void> { await this.pool.close() }
}

export interface Client { socket: WebSocket, socketId: string }

/** Opens a connection and waits for connection_established. */
export function connectClient (url: string, timeoutMs = 30_000): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false })
    const fail = (why: string): void => { clearTimeout(timer); socket.removeAllListeners(); socket.on('error', () => {}); socket.terminate(); reject(new Error(why)) }
    const timer = setTimeout(() => { fail(`no connection_established within ${timeoutMs} ms`) }, timeoutMs)
    socket.on('error', (error) => { fail(`client error: ${error.message}`) })
    socket.on('close', (code) => { fail(`closed with ${code} while connecting`) })
    socket.once('message', (data: RawData) => {
      const text = String(data)
      const match = /socket_id\\":\\"([^\\]+)\\"/.exec(text)
      if (!text.includes('connection_established') || match?.[1] === undefined) { fail(`unexpected first frame ${text.slice(0, 200)}`); return }
      clearTimeout(timer)
      socket.removeAllListeners()
      resolve({ socket, socketId: match[1] })
    })
  })
}

/** Subscribes and waits for subscription_succeeded (presence: signed with `user`). */
export function subscribe (client: Client, channel: string, user?: string, timeoutMs = 30_000): Promise<void> {
  const { socket } = client
  return new Promise((resolve, reject) => {
    const data: Record<string, string> = { channel }
    if (user !== undefined) {
      data.channel_data = JSON.stringify({ user_id: user, user_info: { name: user } })
      data.auth = presenceAuth(client.socketId, channel, data.channel_data)
    }
    const done = (error?: Error): void => {
      clearTimeout(timer)
      socket.off('message', onMessage)
      if (error === undefined) resolve()
      else reject(error)
    }
    const timer = setTimeout(() => { done(new Error(`no subscription to ${channel} within ${timeoutMs} ms`)) }, timeoutMs)
    const onMessage = (raw: RawData): void => {
      const text = String(raw)
      if (text.includes('subscription_succeeded') && text.includes(`"${channel}"`)) done()
      else if (text.includes('subscription_error') || text.includes('pusher:error')) done(new Error(`subscribe ${channel}: ${text.slice(0, 200)}`))
    }
    socket.on('message', onMessage)
    socket.send(JSON.stringify({ event: 'pusher:subscribe', data }))
  })
}

/** Runs `task(k)` for k in 0..count−1, `concurrency` at a time; rejects on the first failure. */
export async function pooled<T> (count: number, concurrency: number, task: (k: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const k = next++
      results[k] = await task(k)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return results
}

/** Generous: on a loaded shared machine a server can take long to answer one of 10,000 openings. */
const OPEN_TIMEOUT_MS = 120_000

/** Opens `count` clients, each subscribed to `channelOf(k)`. Closes what it opened when one fails. */
export async function openSubscribed (url: string, count: number, channelOf: (k: number) => string): Promise<Client[]> {
  const opened: Client[] = []
  try {
    return await pooled(count, 64, async (k) => {
      const client = await connectClient(url, OPEN_TIMEOUT_MS)
      opened.push(client)
      await subscribe(client, channelOf(k), undefined, OPEN_TIMEOUT_MS)
      return client
    })
  } catch (error) {
    closeClients(opened)
    throw error
  }
}

/** Drops every client without a closing handshake. */
export function closeClients (clients: readonly Client[]): void {
  for (const { socket } of clients) {
    socket.removeAllListeners()
    socket.on('error', () => {})
    socket.terminate()
  }
}
