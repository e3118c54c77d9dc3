/**
 * Graceful shutdown of the real standalone process on a real signal: readiness turns 503, open connections
 * and new upgrades get 4200, the process exits 0 once every connection is gone (second-signal.test.ts: a
 * second signal exits at once).
 */
import t from 'tap'
import { connect, open } from '../helpers/ws-client.js'
import { startProcess, stubborn, type Server } from './process.js'

const KEY = 'app-key' // the development app

const ws = (server: Server, query = '?protocol=7'): string => `${server.url.replace(/^http/, 'ws')}/app/${KEY}${query}`

t.test('SIGTERM: ready 503, 4200 to open and new connections, exit 0 when the last one is gone', async (t) => {
  const server = await startProcess(t, [], { BROADCASTT_DRAIN_WINDOW_MS: '0', BROADCASTT_SHUTDOWN_GRACE_MS: '600000' })
  t.equal((await fetch(`${server.url}/ready`)).status, 200, 'ready once listening')
  const clients = [await open(t, ws(server)), await open(t, ws(server, ''))]
  const holder = await stubborn(server)
  server.child.kill('SIGTERM')
  t.same(await Promise.all(clients.map(async (c) => (await c.closed).code)), [4200, 4200], 'open connections closed 4200')
  await holder.got4200
  const ready = await fetch(`${server.url}/ready`)
  t.equal(ready.status, 503, 'not ready while draining')
  t.same(await ready.json(), { status: 'draining' })
  t.equal((await fetch(`${server.url}/health`)).status, 200, 'still alive')
  const late = await connect(ws(server))
  t.match(late.first, { event: 'pusher:error', json: { code: 4200 } }, 'a new upgrade is refused with 4200')
  t.equal((await late.client.closed).code, 4200)
  holder.socket.destroy() // the last connection goes: the drain ends
  t.equal(await server.exited, 0, 'exit code 0')
})
