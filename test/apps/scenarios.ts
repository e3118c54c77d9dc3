/**
 * What a change to an app in its store must do on every node, written once and run against each store (the
 * host's own with `appChanged`, PostgreSQL with its trigger) and across nodes: a rotated secret, changed
 * settings, a disabled app, a deleted one. A change counts as applied when the node emits `app_changed`;
 * it must within 2 s (the contract of docs/apps.md), which `within` enforces.
 */
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { signChannel } from '../../src/auth/channel-auth.js'
import type { AppInput } from '../../src/index.js'
import type { TestServer } from '../helpers/server.js'
import { connect, open, type TestClient } from '../helpers/ws-client.js'
import { delivered, signed } from '../http/helpers.js'
import type { Receiver } from '../webhooks/receiver.js'

/** How a test changes apps in a store; each call resolves once the store holds the change. */
export interface Backend {
  put (app: AppInput): Promise<void>
  remove (id: string): Promise<void>
}

/** The time a change may take to apply on every node (docs/apps.md). */
export const APPLY_MS = 2000

/** `work`, or a rejection naming `what` after `ms` (the bound the contract promises, not a speed test). */
export async function within<T> (ms: number, work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`${what}: not within ${ms} ms`)) }, ms)
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Retries `attempt` until it holds, within `ms`: for a condition that no event announces (a new app, readiness). */
export async function eventually (attempt: () => boolean | Promise<boolean>, what: string, ms = APPLY_MS): Promise<void> {
  const deadline = Date.now() + ms
  await within(ms, (async () => {
    // The loop ends at the deadline too, so a condition that never holds leaves nothing running.
    while (Date.now() < deadline && !await attempt()) await new Promise((resolve) => setTimeout(resolve, 25))
  })(), what)
}

/** Resolves once `app` has applied a change of app `id` (its next `app_changed`), with the change's kind. */
export function applied (app: FastifyInstance, id: string): Promise<string> {
  return new Promise((resolve) => {
    const listener = (event: { appId: string, change: string }): void => {
      if (event.appId !== id) return
      app.broadcastt.off('app_changed', listener)
      resolve(event.change)
    }
    app.broadcastt.on('app_changed', listener)
  })
}

/** Changes an app through `change` and waits until every server applied it, within APPLY_MS. */
export async function change (servers: readonly TestServer[], id: string, change: () => Promise<void>): Promise<string[]> {
  const done = servers.map((server) => applied(server.app, id))
  await change()
  return await within(APPLY_MS, Promise.all(done), `app ${id} changed on ${servers.length} node(s)`)
}

export async function opened (t: Test, server: TestServer, app: AppInput): Promise<TestClient> {
  return await open(t, server.wsUrl(app.key))
}

/** A rotated secret: requests signed with the old one get 401 on every node, the new one works. */
export async function rotateSecret (t: Test, backend: Backend, servers: readonly TestServer[], app: AppInput): Promise<void> {
  for (const server of servers) t.equal((await signed(server, 'GET', '/channels', { app })).status, 200, 'signed with the secret')
  const rotated = { ...app, secret: `${app.secret}-rotated` }
  await change(servers, app.id, async () => { await backend.put(rotated) })
  for (const server of servers) {
    t.equal((await signed(server, 'GET', '/channels', { app })).status, 401, 'the old secret is refused')
    t.equal((await signed(server, 'GET', '/channels', { app: rotated })).status, 200, 'the new one works')
  }
}

/**
 * Changed settings apply to the next frames of open connections: client events turned off (4301), a lower
 * channel limit, a webhook added, an origin allow-list for new connections.
 */
export async function changeSettings (t: Test, backend: Backend, servers: readonly TestServer[], app: AppInput,
  hooks: Receiver): Promise<void> {
  const [a, b] = [servers[0], servers[servers.length - 1]] as [TestServer, TestServer]
  const sender = await opened(t, a, app)
  const listener = await opened(t, b, app)
  for (const client of [sender, listener]) {
    const reply = await client.subscribe('private-room', 'pusher', { auth: signChannel(app, client.socketId, 'private-room') })
    t.equal(reply.event, 'pusher_internal:subscription_succeeded')
  }
  sender.send('client-before', { n: 1 }, 'private-room')
  t.equal((await listener.next('client-before')).data, '{"n":1}', 'client events on')
  const changed = {
    ...app,
    clientEvents: false,
    limits: { ...app.limits, channelsPerConnection: 1 },
    allowedOrigins: ['https://allowed.example'],
    webhooks: [{ url: hooks.url, eventTypes: ['channel_occupied' as const] }]
  }
  await change(servers, app.id, async () => { await backend.put(changed) })
  sender.send('client-after', { n: 2 }, 'private-room')
  const refused = await sender.next('pusher:error')
  t.match(refused.json, { code: 4301 }, 'client events are now refused on the open connection')
  t.same(await delivered(listener), [], 'and not delivered')
  const limited = await sender.subscribe('news')
  t.match(limited, { event: 'pusher:subscription_error', json: { type: 'LimitReached' } }, 'the new channel limit applies')
  const { first } = await connect(a.wsUrl(app.key))
  t.match(first.json, { code: 4009 }, 'a new connection from an origin not allowed is refused')
  const allowed = await open(t, a.wsUrl(app.key), { origin: 'https://allowed.example' })
  t.equal((await allowed.subscribe('fresh')).event, 'pusher_internal:subscription_succeeded')
  const [occupied] = await hooks.eventCount(1)
  t.match(occupied, { name: 'channel_occupied', channel: 'fresh' }, 'the webhook added to the app is called')
}

/** What a change that ends an app does: its kind, the close code, the REST status. */
interface Ending { change: () => Promise<void>, kind: string, code: number, status: number }

/** Open connections close with `code` within APPLY_MS on every node, new ones are refused `code`, REST `status`. */
async function ends (t: Test, servers: readonly TestServer[], app: AppInput, ending: Ending): Promise<void> {
  const { change: make, kind, code, status } = ending
  const clients = await Promise.all(servers.map(async (server) => await opened(t, server, app)))
  t.same(await change(servers, app.id, make), servers.map(() => kind))
  for (const client of clients) {
    t.match((await client.next('pusher:error')).json, { code }, `an error ${code} first`)
    t.equal((await within(APPLY_MS, client.closed, 'close')).code, code, `then a ${code} close`)
  }
  for (const server of servers) {
    const { first } = await connect(server.wsUrl(app.key))
    t.match(first.json, { code }, `a new connection is refused ${code}`)
    t.equal((await signed(server, 'GET', '/channels', { app })).status, status, `REST answers ${status}`)
  }
}

/** Disabled: 4003, REST 403. */
export async function disable (t: Test, backend: Backend, servers: readonly TestServer[], app: AppInput): Promise<void> {
  await ends(t, servers, app, { change: async () => { await backend.put({ ...app, enabled: false }) }, kind: 'disabled', code: 4003, status: 403 })
}

/** Deleted: 4001, REST 404. */
export async function remove (t: Test, backend: Backend, servers: readonly TestServer[], app: AppInput): Promise<void> {
  await ends(t, servers, app, { change: async () => { await backend.remove(app.id) }, kind: 'deleted', code: 4001, status: 404 })
}
