/**
 * TLS in the standalone server: a certificate and key (self-signed, made here with the openssl CLI) serve
 * wss:// and https:// on the one port, a signed REST trigger over https reaches a wss:// subscriber, an
 * encrypted key opens with its passphrase, soketi's SOKETI_SSL_* work the same, and the container health
 * check follows. A missing half or an unreadable file is a clear configuration error.
 */
import { execFileSync } from 'node:child_process'
import { Agent as HttpsAgent } from 'node:https'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { Agent, fetch as undiciFetch } from 'undici'
import Pusher from 'pusher'
import { loadConfig } from '../../src/config/load.js'
import { startStandalone } from '../../src/cli/server.js'
import { connect } from '../helpers/ws-client.js'
import { runToEnd, startProcess } from './process.js'

function certificate (dir: string, passphrase?: string): { cert: string, key: string } {
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-sha256', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert,
    ...(passphrase === undefined ? ['-nodes'] : ['-passout', `pass:${passphrase}`])], { stdio: 'ignore' })
  return { cert, key }
}

const APP = { BROADCASTT_APP_ID: 'tls-id', BROADCASTT_APP_KEY: 'tls-key', BROADCASTT_APP_SECRET: 'tls-secret', LOG_LEVEL: 'silent' }

t.test('wss:// and https:// with a certificate and key', async (t) => {
  const dir = t.testdir({})
  const { cert, key } = certificate(dir)
  const ca = readFileSync(cert)
  const config = loadConfig(['--tls-cert', cert, '--tls-key', key], APP)
  const server = await startStandalone({ ...config, port: 0 })
  t.teardown(() => server.close())
  t.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/)
  t.match(server.banner, /WebSocket wss:\/\/127\.0\.0\.1:\d+\/app\/tls-key/)
  const dispatcher = new Agent({ connect: { ca } })
  t.teardown(() => dispatcher.close())
  const health = await undiciFetch(`${server.url}/health`, { dispatcher })
  t.equal(health.status, 200, 'https:// answers')
  const { client, first } = await connect(`${server.url.replace(/^https/, 'wss')}/app/tls-key?protocol=7`, { ca })
  t.equal(first.event, 'pusher:connection_established', 'wss:// connects, the certificate verified')
  t.match(await client.subscribe('over-tls'), { event: 'pusher_internal:subscription_succeeded' })
  const port = Number(new URL(server.url).port)
  // The Pusher Node SDK with useTLS, through an agent that trusts the test certificate.
  const sdk = new Pusher({ appId: 'tls-id', key: 'tls-key', secret: 'tls-secret', host: '127.0.0.1', port: String(port), useTLS: true, agent: new HttpsAgent({ ca }) })
  const response = await sdk.trigger('over-tls', 'hello', { over: 'https' })
  t.equal(response.status, 200, 'a signed REST trigger over https://')
  t.match(await client.next(), { event: 'hello', channel: 'over-tls', json: { over: 'https' } })
  client.ws.terminate()
  await t.rejects(undiciFetch(`${server.url}/health`), 'an unknown certificate is refused by a verifying client')
})

t.test('an encrypted key with its passphrase; SOKETI_SSL_*; the health check follows TLS', async (t) => {
  const dir = t.testdir({})
  const { cert, key } = certificate(dir, 'open sesame')
  const server = await startProcess(t, [], {
    ...APP, LOG_LEVEL: 'warn', SOKETI_SSL_CERT: cert, SOKETI_SSL_KEY: key, SOKETI_SSL_PASS: 'open sesame', SOKETI_SSL_CA: cert
  })
  t.match(server.url, /^https:/)
  t.notMatch(server.stdout() + server.stderr(), /open sesame|tls-secret/, 'neither the passphrase nor the secret is printed')
  const { port } = new URL(server.url)
  const check = await runToEnd([], { ...APP, PORT: port, SOKETI_SSL_CERT: cert, SOKETI_SSL_KEY: key, SOKETI_SSL_PASS: 'open sesame' },
    'src/cli/healthcheck.ts')
  t.equal(check.code, 0, 'the health check speaks https to the local port')
  const wrongPort = await runToEnd([], { ...APP, PORT: '1', SOKETI_SSL_CERT: cert, SOKETI_SSL_KEY: key, SOKETI_SSL_PASS: 'open sesame' },
    'src/cli/healthcheck.ts')
  t.equal(wrongPort.code, 1, 'and fails where nothing listens')
  const wrong = await runToEnd([], { ...APP, PORT: '0', BROADCASTT_TLS_CERT: cert, BROADCASTT_TLS_KEY: key, BROADCASTT_TLS_PASSPHRASE: 'wrong' })
  t.equal(wrong.code, 1, 'a wrong passphrase: exit 1')
  t.notMatch(wrong.stderr, /wrong/, 'the passphrase is not echoed')
})

t.test('configuration errors', async (t) => {
  const dir = t.testdir({})
  const { cert } = certificate(dir)
  t.throws(() => loadConfig(['--tls-cert', cert], APP), /--tls-cert: needs --tls-key \/ BROADCASTT_TLS_KEY too/)
  t.throws(() => loadConfig(['--tls-cert', cert, '--tls-key', join(dir, 'missing.pem')], APP), /--tls-key: .*missing\.pem cannot be read \(ENOENT\)/)
  t.throws(() => loadConfig([], { ...APP, BROADCASTT_TLS_PASSPHRASE: 'x' }), /BROADCASTT_TLS_PASSPHRASE: needs a certificate and a key/)
})
