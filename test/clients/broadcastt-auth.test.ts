/**
 * A broadcastt-dialect client exactly as PROTOCOL.md describes broadcastt-js: it connects to `/apps/{key}`
 * with no query string, parses every frame's `data` with JSON.parse, asks the auth endpoint with a JSON body
 * `{socket_id, channel_name}` and spreads the answer into the subscribe data.
 */
import t from 'tap'
import WebSocket from 'ws'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'
import { addAuthEndpoints } from './auth-endpoint.js'

interface Received { event: string, channel: string | undefined, data: unknown, user_id?: string }

class BroadcasttJsLike {
  readonly ws: WebSocket
  socketId = ''
  readonly #received: Received[] = []
  readonly #waiters: Array<{ match: (r: Received) => boolean, resolve: (r: Received) => void }> = []

  constructor (readonly server: TestServer, readonly user: string) {
    this.ws = new WebSocket(`ws://127.0.0.1:${server.port}/apps/${TEST_APP.key}`)
    this.ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as { event: string, channel?: string, data: string, user_id?: string }
      const got: Received = { event: frame.event, channel: frame.channel, data: JSON.parse(frame.data) }
      if (frame.user_id !== undefined) got.user_id = frame.user_id
      const i = this.#waiters.findIndex((w) => w.match(got))
      if (i === -1) this.#received.push(got)
      else this.#waiters.splice(i, 1)[0]?.resolve(got)
    })
  }

  next (event: string, channel?: string): Promise<Received> {
    const match = (r: Received) => r.event === event && (channel === undefined || r.channel === channel)
    const i = this.#received.findIndex(match)
    if (i !== -1) return Promise.resolve(this.#received.splice(i, 1)[0] as Received)
    return new Promise((resolve) => { this.#waiters.push({ match, resolve }) })
  }

  async connect (): Promise<void> {
    const established = await this.next('broadcastt:connection_established')
    this.socketId = (established.data as { socket_id: string }).socket_id
  }

  send (event: string, data: unknown, channel?: string): void {
    this.ws.send(JSON.stringify({ event, data, ...(channel === undefined ? {} : { channel }) }))
  }

  /** broadcastt-js: POST JSON to the auth endpoint, spread the reply into the subscribe data. */
  async subscribe (channel: string): Promise<Received> {
    let auth = {}
    if (/^(private|presence)-/.test(channel)) {
      const response = await fetch(`http://127.0.0.1:${this.server.port}/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ socket_id: this.socketId, channel_name: channel, user: this.user })
      })
      auth = await response.json() as object
    }
    this.send('broadcastt:subscribe', { channel, ...auth })
    const reply = await Promise.race([
      this.next('broadcastt_internal:subscription_succeeded', channel),
      this.next('broadcastt:subscription_error', channel)
    ])
    return reply
  }

  /** A ping round trip: everything sent to this client before it has arrived. */
  async settle (): Promise<Received[]> {
    this.send('broadcastt:ping', {})
    await this.next('broadcastt:pong')
    return this.#received.splice(0)
  }
}

async function connected (t: { teardown (fn: () => unknown): void }, server: TestServer, user: string): Promise<BroadcasttJsLike> {
  const client = new BroadcasttJsLike(server, user)
  t.teardown(() => { client.ws.terminate() })
  await client.connect()
  return client
}

t.test('private channel: auth endpoint, events, client events, refusal', async (t) => {
  const server = await startServer(t, {}, (app) => { addAuthEndpoints(app, { forge: ['private-forged'] }) })
  const a = await connected(t, server, 'a')
  const b = await connected(t, server, 'b')
  t.same(await a.subscribe('private-chat'), { event: 'broadcastt_internal:subscription_succeeded', channel: 'private-chat', data: {} })
  await b.subscribe('private-chat')

  await server.app.broadcastt.trigger({ appId: TEST_APP.id, channels: ['private-chat'], name: 'news', data: 'plain text' })
  t.same((await a.next('news')).data, 'plain text', 'non-JSON backend data arrives JSON-encoded, so JSON.parse works')
  await b.next('news')

  a.send('client-typing', { on: true }, 'private-chat')
  t.same((await b.next('client-typing')).data, { on: true })
  t.same(await a.settle(), [], 'no echo')

  const refused = await a.subscribe('private-forged')
  t.same(refused.event, 'broadcastt:subscription_error')
  t.match(refused.data, { type: 'AuthError', status: 401 })
})

t.test('presence channel: member list, member_added, member_removed, user_id on client events', async (t) => {
  const server = await startServer(t, {}, (app) => { addAuthEndpoints(app) })
  const ann = await connected(t, server, 'ann')
  const first = await ann.subscribe('presence-room')
  t.same(first.data, { presence: { ids: ['ann'], hash: { ann: { name: 'ann' } }, count: 1 } })

  const bob = await connected(t, server, 'bob')
  const second = await bob.subscribe('presence-room')
  t.same(second.data, { presence: { ids: ['ann', 'bob'], hash: { ann: { name: 'ann' }, bob: { name: 'bob' } }, count: 2 } })
  t.same((await ann.next('broadcastt_internal:member_added', 'presence-room')).data, { user_id: 'bob', user_info: { name: 'bob' } })

  bob.send('client-wave', { hi: 1 }, 'presence-room')
  const wave = await ann.next('client-wave')
  t.same({ data: wave.data, user_id: wave.user_id }, { data: { hi: 1 }, user_id: 'bob' })

  bob.ws.close()
  t.same((await ann.next('broadcastt_internal:member_removed', 'presence-room')).data, { user_id: 'bob' })
})
