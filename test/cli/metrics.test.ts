/** The standalone server serves /metrics on its main port by default, or on --metrics-port alone. */
import t from 'tap'
import { startProcess } from './process.js'

t.test('metrics on the main port by default', async (t) => {
  const server = await startProcess(t, [])
  const response = await fetch(`${server.url}/metrics`)
  t.equal(response.status, 200)
  t.match(await response.text(), /broadcastt_connections\{app="app-id"\} 0/)
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
})

t.test('--metrics-port serves them on a port of their own, and not on the main one', async (t) => {
  const server = await startProcess(t, ['--metrics-port', '0'])
  const metricsUrl = /metrics (http\S+)/.exec(server.stdout())?.[1] ?? ''
  t.not(new URL(metricsUrl).port, new URL(server.url).port)
  t.equal((await fetch(`${server.url}/metrics`)).status, 404)
  t.match(await (await fetch(metricsUrl)).text(), /broadcastt_adapter_ready 1/)
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0, 'both servers closed')
})
