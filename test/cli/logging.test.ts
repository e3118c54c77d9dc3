/**
 * The standalone server's logs (issue #7, defect 11): no signature or secret reaches a log line, a request
 * is one line at debug without its query, and connections are logged opening and closing with app id,
 * socket id and close code.
 */
import t from 'tap'
import { signRequest } from '../../src/auth/request-signature.js'
import { unescapedQuery } from '../http/helpers.js'
import { open } from '../helpers/ws-client.js'
import { startProcess } from './process.js'

const APP = { id: 'app-id', key: 'app-key', secret: 'app-secret' }

interface Line { msg?: string, level?: number, [key: string]: unknown }

const jsonLines = (stdout: string): Line[] => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line)

t.test('debug logs: one line per request without its query, connections with app id, socket id and close code', async (t) => {
  const server = await startProcess(t, [], { LOG_LEVEL: 'debug', BROADCASTT_DRAIN_WINDOW_MS: '0' })
  const client = await open(t, `${server.url.replace(/^http/, 'ws')}/app/${APP.key}?protocol=7`)
  const path = `/apps/${APP.id}/events`
  const body = JSON.stringify({ name: 'e', channel: 'c', data: '1' })
  const query = signRequest(APP, 'POST', path, {}, body)
  const signature = String(query.auth_signature)
  const response = await fetch(`${server.url}${path}?${unescapedQuery(query)}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body
  })
  t.equal(response.status, 200)
  t.equal((await fetch(`${server.url}${path}?auth_signature=${signature}`)).status, 404, 'a refused request is logged too')
  client.ws.close(4321, 'bye')
  await server.line((l) => l.includes('"connection closed"'))
  await server.line((l) => l.includes('"statusCode":404'))
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)

  const stdout = server.stdout()
  t.notMatch(stdout, signature, 'the signature is in no log line')
  t.notMatch(stdout, 'auth_signature', 'nor is the parameter')
  t.notMatch(stdout, APP.secret + '"', 'nor the secret (the banner prints the development credentials as key=value only)')
  const lines = jsonLines(stdout)
  const requests = lines.filter((l) => l.msg === 'request')
  t.match(requests, [
    { level: 20, method: 'POST', url: path, statusCode: 200, reqId: /^req-/ },
    { level: 20, method: 'GET', url: path, statusCode: 404, reqId: /^req-/ }
  ], 'one debug line per request, without the query, bound to its request id')
  t.equal(lines.filter((l) => /incoming request|request completed/.test(String(l.msg))).length, 0, 'no Fastify request lines')
  t.match(lines.find((l) => l.msg === 'connection opened'), { level: 30, appId: APP.id, socketId: client.socketId })
  t.match(lines.find((l) => l.msg === 'connection closed'), { level: 30, appId: APP.id, socketId: client.socketId, code: 4321 })
})

t.test('info logs carry no request lines; --pretty logs readable lines', async (t) => {
  const server = await startProcess(t, ['--pretty'], { LOG_LEVEL: 'info' })
  t.equal((await fetch(`${server.url}/health`)).status, 200)
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
  t.notMatch(server.stdout(), /^\{/m, 'no JSON lines')
  t.match(server.stdout(), /INFO.*shutting down/)
  t.notMatch(server.stdout(), /GET|request/, 'requests are not logged at info')
})
