/**
 * The baseline: a minimal broadcast server on the raw `ws` package, speaking just enough of the Pusher
 * protocol for the bench client (connection_established, subscribe → subscription_succeeded, channel
 * events). One channel, one Set of subscribers, one pre-serialized JSON string per event sent to each.
 */
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { CHANNEL, EVENT, runChild } from './ipc.js'

await runChild(async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false })
  await once(wss, 'listening')
  const subscribers = new Set<WebSocket>()
  let nextId = 1

  wss.on('connection', (socket) => {
    const id = nextId++
    socket.send(JSON.stringify({
      event: 'pusher:connection_established',
      data: JSON.stringify({ socket_id: `${id}.${id}`, activity_timeout: 120 })
    }))
    socket.on('message', (raw) => {
      let message: { event?: unknown, data?: { channel?: unknown } }
      try {
        message = JSON.parse(String(raw)) as typeof message
      } catch {
        return
      }
      if (message.event !== 'pusher:subscribe' || typeof message.data?.channel !== 'string') return
      subscribers.add(socket)
      socket.send(JSON.stringify({ event: 'pusher_internal:subscription_succeeded', channel: message.data.channel, data: '{}' }))
    })
    socket.on('close', () => { subscribers.delete(socket) })
  })

  return {
    port: (wss.address() as AddressInfo).port,
    path: '/',
    trigger (data: string): void {
      const frame = JSON.stringify({ event: EVENT, channel: CHANNEL, data })
      for (const socket of subscribers) socket.send(frame)
    },
    async close (): Promise<void> {
      for (const socket of wss.clients) socket.terminate()
      await new Promise<void>((resolve) => { wss.close(() => { resolve() }) })
    }
  }
})
