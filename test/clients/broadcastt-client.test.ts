/**
 * A client that speaks the broadcastt dialect exactly as PROTOCOL.md shows: it connects to `/apps/{key}` with no
 * query string and parses the `data` of every frame with JSON.parse, as broadcastt-js does.
 */
import t from 'tap'
import WebSocket from 'ws'
import { startServer, TEST_APP } from '../helpers/server.js'

class BroadcasttStyleClient {
  readonly ws: WebSocket
  readonly #handlers = new Map<string, Array<(data: unknown, channel?: string) => void>>()

  constructor (host: string, key: string) {
    this.ws = new WebSocket(`ws://${host}/apps/${key}`)
    this.ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as { event: string, channel?: string, data: string }
      const data: unknown = JSON.parse(frame.data) // throws if the server ever sends non-JSON data
      for (const handler of this.#handlers.get(frame.event) ?? []) handler(data, frame.channel)
    })
  }

  once (event: string): Promise<{ data: unknown, channel: string | undefined }> {
    return new Promise((resolve) => {
      const list = this.#handlers.get(event) ?? []
      list.push((data, channel) => { resolve({ data, channel }) })
      this.#handlers.set(event, list)
    })
  }

  send (event: string, data: unknown): void {
    this.ws.send(JSON.stringify({ event, data }))
  }
}

t.test('a broadcastt-dialect client connects, pings, subscribes and receives events', async (t) => {
  const server = await startServer(t)
  const client = new BroadcasttStyleClient(`127.0.0.1:${server.port}`, TEST_APP.key)
  t.teardown(() => { client.ws.terminate() })
  const established = await client.once('broadcastt:connection_established')
  t.match(established.data, { socket_id: /^\d+\.\d+$/, activity_timeout: 120 })

  client.send('broadcastt:ping', {})
  t.same((await client.once('broadcastt:pong')).data, {})

  client.send('broadcastt:subscribe', { channel: 'updates' })
  const ok = await client.once('broadcastt_internal:subscription_succeeded')
  t.same(ok, { data: {}, channel: 'updates' })

  const events = client.once('status')
  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['updates'], name: 'status', data: 'not json at all' })
  t.same(await events, { data: 'not json at all', channel: 'updates' }, 'a non-JSON string arrives JSON-encoded')

  client.send('broadcastt:subscribe', { channel: 'bad name' })
  const refused = await client.once('broadcastt:subscription_error')
  t.match(refused, { channel: 'bad name', data: { type: 'InvalidChannel', status: 400 } })

  client.send('pusher:subscribe', { channel: 'other-dialect' })
  const unknown = await client.once('broadcastt:error')
  t.match(unknown.data, { code: null, message: /Unknown event/ }, 'the other dialect\'s events are unknown')
})
