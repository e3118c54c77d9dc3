/**
 * The floor: a minimal broadcast server on Node's `http` and the raw `ws` package, speaking just enough of
 * the Pusher protocol for the bench clients. Channels are Sets of sockets; an event's frame is built once and
 * written to each subscriber. Presence channels keep a member map and fan out member_added/removed. The
 * REST side is a bare HTTP loop: `POST …/events` and `…/batch_events` parse the JSON body and publish, with
 * no signature check and no validation. Started by the bench driver (`bench/servers.ts`) with PORT set.
 *
 * With BENCH_REST=fastify the REST side is a bare Fastify route instead (JSON body and response schemas,
 * Fastify's own parser and serializer, no hooks, no logger, no signature): the floor of any server whose
 * REST API goes through Fastify's request lifecycle, measured in the same run as ours.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import Fastify from 'fastify'
import { WebSocketServer, type WebSocket } from 'ws'

interface Subscribe { channel?: unknown, channel_data?: unknown }
interface Message { event?: unknown, data?: Subscribe }
interface RestEvent { name: string, data: string, channels?: string[], channel?: string }

const channels = new Map<string, Set<WebSocket>>()
/** Presence channel → user id → [user_info, sockets of that user on the channel]. */
const members = new Map<string, Map<string, [unknown, number]>>()
const joined = new WeakMap<WebSocket, Map<string, string | undefined>>()
let nextId = 1

function publish (channel: string, event: string, data: string, except?: WebSocket): void {
  const sockets = channels.get(channel)
  if (sockets === undefined) return
  const frame = Buffer.from(JSON.stringify({ event, channel, data }))
  for (const socket of sockets) if (socket !== except) socket.send(frame)
}

function join (socket: WebSocket, channel: string, channelData: unknown): void {
  let set = channels.get(channel)
  if (set === undefined) channels.set(channel, set = new Set())
  set.add(socket)
  let userId: string | undefined
  let data = '{}'
  if (channel.startsWith('presence-') && typeof channelData === 'string') {
    const member = JSON.parse(channelData) as { user_id: string, user_info?: unknown }
    userId = String(member.user_id)
    let map = members.get(channel)
    if (map === undefined) members.set(channel, map = new Map())
    const entry = map.get(userId)
    if (entry === undefined) {
      map.set(userId, [member.user_info, 1])
      publish(channel, 'pusher_internal:member_added', JSON.stringify({ user_id: userId, user_info: member.user_info }), socket)
    } else entry[1]++
    const hash: Record<string, unknown> = {}
    for (const [id, [info]] of map) hash[id] = info
    data = JSON.stringify({ presence: { ids: [...map.keys()], hash, count: map.size } })
  }
  joined.get(socket)?.set(channel, userId)
  socket.send(JSON.stringify({ event: 'pusher_internal:subscription_succeeded', channel, data }))
}

function leave (socket: WebSocket, channel: string): void {
  const mine = joined.get(socket)
  if (mine === undefined || !mine.has(channel)) return
  const userId = mine.get(channel)
  mine.delete(channel)
  const set = channels.get(channel)
  set?.delete(socket)
  if (set?.size === 0) channels.delete(channel)
  if (userId === undefined) return
  const map = members.get(channel)
  const entry = map?.get(userId)
  if (map === undefined || entry === undefined || --entry[1] > 0) return
  map.delete(userId)
  if (map.size === 0) members.delete(channel)
  publish(channel, 'pusher_internal:member_removed', JSON.stringify({ user_id: userId }))
}

function onMessage (socket: WebSocket, raw: unknown): void {
  let message: Message
  try {
    message = JSON.parse(String(raw)) as Message
  } catch {
    return
  }
  const channel = message.data?.channel
  if (message.event === 'pusher:ping') socket.send('{"event":"pusher:pong","data":"{}"}')
  if (typeof channel !== 'string') return
  if (message.event === 'pusher:subscribe') join(socket, channel, message.data?.channel_data)
  if (message.event === 'pusher:unsubscribe') leave(socket, channel)
}

function rest (request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => { chunks.push(chunk) })
  request.on('end', () => {
    try {
      publishBody(JSON.parse(Buffer.concat(chunks).toString()) as RestEvent | { batch: RestEvent[] })
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    } catch {
      response.writeHead(400).end()
    }
  })
}

function publishBody (body: RestEvent | { batch: RestEvent[] }): void {
  for (const event of 'batch' in body ? body.batch : [body]) {
    for (const channel of event.channels ?? [event.channel ?? '']) publish(channel, event.name, event.data)
  }
}

/** The REST side as a bare Fastify route (BENCH_REST=fastify). */
async function fastifyRest (): Promise<(request: IncomingMessage, response: ServerResponse) => void> {
  const app = Fastify({ logger: false })
  const event = {
    type: 'object',
    required: ['name', 'data'],
    properties: { name: { type: 'string' }, data: { type: 'string' }, channel: { type: 'string' }, channels: { type: 'array', items: { type: 'string' } } }
  }
  const response = { 200: { type: 'object', properties: {} } }
  app.post('/apps/:app_id/events', { schema: { body: event, response } }, async (request) => {
    publishBody(request.body as RestEvent)
    return {}
  })
  app.post('/apps/:app_id/batch_events', {
    schema: { body: { type: 'object', required: ['batch'], properties: { batch: { type: 'array', items: event } } }, response }
  }, async (request) => {
    publishBody(request.body as { batch: RestEvent[] })
    return {}
  })
  await app.ready()
  return (request, reply) => { app.routing(request, reply) }
}

const server = createServer(process.env.BENCH_REST === 'fastify' ? await fastifyRest() : rest)
const wss = new WebSocketServer({ server, perMessageDeflate: false })
wss.on('connection', (socket) => {
  const id = nextId++
  joined.set(socket, new Map())
  socket.send(JSON.stringify({
    event: 'pusher:connection_established',
    data: JSON.stringify({ socket_id: `${id}.${id}`, activity_timeout: 120 })
  }))
  socket.on('message', (raw) => { onMessage(socket, raw) })
  socket.on('close', () => { for (const channel of [...joined.get(socket)?.keys() ?? []]) leave(socket, channel) })
})
server.listen(Number(process.env.PORT), '127.0.0.1')
process.once('SIGTERM', () => {
  for (const socket of wss.clients) socket.terminate()
  server.close()
  process.exit(0)
})
