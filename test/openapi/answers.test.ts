/**
 * The document lists exactly what the server answers. Every refusal a documented operation can meet is
 * provoked on a real server (signed requests, a memory adapter that fails on cue, a draining server), and
 * for each operation the set of `status code` pairs it answered equals the set its responses list; every
 * answer has the `Error` shape with a code of the `Error.code` enum. A refusal that a route starts giving
 * without the document listing it (or a listed one that can no longer happen) fails here.
 */
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import t from 'tap'
import { OPENAPI_FILE } from '../../scripts/openapi.js'
import broadcastt, { type AppInput } from '../../src/index.js'
import { systemClock } from '../../src/hub/heartbeat.js'
import { ClusterUnavailableError } from '../../src/errors.js'
import { GatedAdapter } from '../helpers/gated-adapter.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'
import { signed, type JsonResponse } from '../http/helpers.js'

interface Doc {
  paths: Record<string, Record<string, { operationId: string, responses: Record<string, { description: string }> }>>
  components: { schemas: { Error: { required: string[], properties: { code: { enum: string[] } } } } }
}
const doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as Doc

type Failing = Parameters<GatedAdapter['fail']>[0]

/** A documented operation, as the test calls it. */
interface Op {
  id: string
  method: 'GET' | 'POST'
  route: string
  /** A valid body (POST); `info` makes triggers read the cluster state. */
  body?: unknown
  /** A request its route schema or rules refuse with 400. */
  invalid: { route?: string, query?: Record<string, string>, body?: unknown }
  /** A body an event rule refuses, and one whose data is over the app's `eventDataBytes` (triggers). */
  badEvent?: unknown
  bigEvent?: unknown
  /** The adapter call that fails the request (500), and the one that needs the cluster state (503). */
  failing: Failing
  cluster?: Failing
}

const event = { name: 'e', channel: 'c', data: '1', info: 'subscription_count' }
const OPS: Op[] = [
  { id: 'listChannels', method: 'GET', route: '/channels', invalid: { query: { info: 'colour' } }, failing: 'channels', cluster: 'channels' },
  { id: 'getChannel', method: 'GET', route: '/channels/c', invalid: { query: { info: 'colour' } }, failing: 'channel', cluster: 'channel' },
  { id: 'getChannelAlias', method: 'GET', route: '/channel/c', invalid: { route: '/channel/bad%20name' }, failing: 'channel', cluster: 'channel' },
  { id: 'listChannelUsers', method: 'GET', route: '/channels/presence-c/users', invalid: { route: '/channels/c/users' }, failing: 'members', cluster: 'members' },
  ...(['/events', '/event'] as const).map((route): Op => ({
    id: route === '/events' ? 'triggerEvents' : 'triggerEvent',
    method: 'POST',
    route,
    body: event,
    invalid: { body: { data: '1', channel: 'c' } },
    badEvent: { name: 'e', data: '1' },
    bigEvent: { ...event, data: 'x'.repeat(9) },
    failing: 'channel',
    cluster: 'channel'
  })),
  {
    id: 'triggerBatch',
    method: 'POST',
    route: '/batch_events',
    body: { batch: [event] },
    invalid: { body: { batch: [] } },
    badEvent: { batch: [{ ...event, channel: 'bad name' }] },
    bigEvent: { batch: [{ ...event, data: 'x'.repeat(9) }] },
    failing: 'channel',
    cluster: 'channel'
  },
  { id: 'terminateUserConnections', method: 'POST', route: '/users/u/terminate_connections', body: {}, invalid: { body: [] }, failing: 'publish' }
]

const BODY_LIMIT = 1024
const now = 1_700_000_000_000
const APPS: Record<'main' | 'off' | 'rated' | 'small', AppInput> = {
  main: TEST_APP,
  off: { id: 'off', key: 'off-key', secret: 'off-secret', enabled: false },
  rated: { id: 'rated', key: 'rated-key', secret: 'rated-secret', limits: { readRequestsPerSecond: 1, backendEventsPerSecond: 1 } },
  small: { id: 'small', key: 'small-key', secret: 'small-secret', limits: { eventDataBytes: 8 } }
}

/** Sends `op` for `app`, signed at the test clock's time, with the parts given replacing the valid ones. */
async function send (server: TestServer, op: Op, app: AppInput = APPS.main,
  parts: { route?: string, query?: Record<string, string>, body?: unknown } = {}): Promise<JsonResponse> {
  return await signed(server, op.method, parts.route ?? op.route, {
    app, timestamp: now / 1000, ...(parts.query === undefined ? {} : { query: parts.query }), body: parts.body ?? op.body
  })
}

/** The refusals of one operation on the ordinary server: every scenario that applies to it. */
async function provoke (server: TestServer, adapter: GatedAdapter, op: Op): Promise<JsonResponse[]> {
  const answers = [
    await send(server, op, { ...APPS.main, secret: 'wrong' }),
    await send(server, op, { id: 'nope', key: 'nope', secret: 'nope' }),
    await send(server, op, APPS.off),
    await send(server, op, APPS.main, op.invalid),
    await send(server, op, APPS.rated),
    await send(server, op, APPS.rated)
  ]
  if (op.method === 'POST') {
    answers.push(await send(server, op, APPS.main, { body: '{"name":' }))
    answers.push(await send(server, op, APPS.main, { body: { ...event, data: 'x'.repeat(BODY_LIMIT) } }))
  }
  if (op.badEvent !== undefined) answers.push(await send(server, op, APPS.main, { body: op.badEvent }))
  if (op.bigEvent !== undefined) answers.push(await send(server, op, APPS.small, { body: op.bigEvent }))
  adapter.fail(op.failing)
  answers.push(await send(server, op))
  adapter.release(op.failing)
  if (op.cluster !== undefined) {
    adapter.fail(op.cluster, new ClusterUnavailableError())
    answers.push(await send(server, op))
    adapter.release(op.cluster)
  }
  return answers
}

/** Every operation sent to a server that is draining (its host keeps serving requests while it closes). */
async function whileDraining (): Promise<Map<string, JsonResponse>> {
  const app = Fastify({ logger: false, return503OnClosing: false })
  await app.register(broadcastt, { apps: [TEST_APP] })
  const answers = new Map<string, JsonResponse>()
  app.addHook('preClose', async () => {
    for (const op of OPS) answers.set(op.id, await signed(server, op.method, op.route, { body: op.body }))
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const server: TestServer = { app, port: (app.server.address() as AddressInfo).port, wsUrl: () => '' }
  await app.close()
  return answers
}

t.test('every operation answers exactly the statuses and codes the document lists', async (t) => {
  const adapter = new GatedAdapter()
  const clock = { ...systemClock, now: () => now }
  const server = await startServer(t, { apps: Object.values(APPS), adapter, clock, rest: { bodyLimit: BODY_LIMIT } })
  const draining = await whileDraining()
  const { required, properties } = doc.components.schemas.Error
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, { operationId, responses }] of Object.entries(methods)) {
      const op = OPS.find((o) => o.id === operationId)
      if (op === undefined) throw new Error(`no scenario for ${operationId} (${method} ${path})`)
      const answers = [...await provoke(server, adapter, op), draining.get(op.id) as JsonResponse]
      const seen = new Set<string>()
      for (const { status, body } of answers.filter((a) => a.status !== 200)) {
        const error = body as Record<string, unknown>
        t.ok(required.every((key) => key in error) && properties.code.enum.includes(String(error.code)),
          `${operationId} ${status}: the Error shape with a code of the enum (${JSON.stringify(body)})`)
        seen.add(`${status} ${String(error.code)}`)
      }
      const listed = Object.entries(responses).flatMap(([status, { description }]) =>
        [...description.matchAll(/FST_[A-Z_]+/g)].map(([code]) => `${status} ${code}`))
      t.same([...seen].sort(), listed.sort(), `${operationId}: answered = listed`)
    }
  }
})
