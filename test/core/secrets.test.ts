/**
 * No secret in any log line or error message: Redis errors are logged as message and code only (ioredis keeps
 * the AUTH arguments on its ReplyError), refused secret-bearing settings are not echoed, a config file's JSON
 * error names a position only, webhook URLs are logged without userinfo and query, credentials in a webhook
 * URL become `Authorization: Basic`, and header values with control characters are refused at start. Log
 * output is captured from pino and searched for the secret.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import t from 'tap'
import broadcastt from '../../src/index.js'
import { ConfigError, loadConfig } from '../../src/config/load.js'
import { errorFields, loggableError, loggableUrl } from '../../src/log-safe.js'
import { resolveOptions } from '../../src/options.js'
import { TEST_APP } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'
import { joined } from '../channels/helpers.js'
import { QUICK } from '../webhooks/helpers.js'
import { receiver } from '../webhooks/receiver.js'
import type { AddressInfo } from 'node:net'

/** A Fastify whose log lines (every level) are kept. */
function logged (): { app: ReturnType<typeof Fastify>, lines: string[] } {
  const lines: string[] = []
  const app = Fastify({ logger: { level: 'trace', stream: { write: (line: string) => { lines.push(line) } } } })
  return { app, lines }
}

async function until (done: () => boolean): Promise<void> {
  // Polls a log buffer the logger fills from I/O callbacks; bounded by the test's own timeout.
  while (!done()) await new Promise((resolve) => setImmediate(resolve))
}

t.test('a Redis AUTH failure is logged without the password', async (t) => {
  const { app, lines } = logged()
  t.teardown(() => app.close())
  const port = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').port || '6379'
  await app.register(broadcastt, {
    apps: [TEST_APP], adapter: { type: 'redis', url: `redis://someone:WrongPass-7f3a@127.0.0.1:${port}`, keyPrefix: 'bt-secret-test:' }
  })
  await until(() => lines.some((l) => l.includes('Redis connection error')))
  const line = JSON.parse(lines.find((l) => l.includes('Redis connection error')) as string) as { err: Record<string, unknown> }
  t.match(line.err, { message: /WRONGPASS/ }, 'the reason is there')
  t.notOk('command' in line.err, 'message (and code, when there is one) only: not the command and its arguments')
  t.notOk(lines.join('\n').includes('WrongPass-7f3a'), 'the password is in no log line')
})

t.test('refused secret-bearing settings are not echoed; other values are', async (t) => {
  const refused = (argv: string[], env: NodeJS.ProcessEnv = {}): string => {
    try {
      loadConfig(argv, env)
    } catch (error) {
      if (error instanceof ConfigError) return error.message
      throw error
    }
    throw new Error('accepted')
  }
  const url = refused(['--redis-url', 'redis://u:Hunter2-secret@redis.internal:6379\n'])
  t.match(url, /^--redis-url: expected a redis:\/\/ or rediss:\/\/ URL, got a value not shown here/)
  t.notOk(url.includes('Hunter2-secret'))
  t.notOk(refused([], { BROADCASTT_REDIS_URL: 'http://u:Hunter2-secret@x' }).includes('Hunter2-secret'))
  t.match(refused(['--port', 'lots']), /got "lots"/, 'a value that holds no secret is still shown')
})

t.test('a config file\'s JSON error names the position, never the text', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-secret-'))
  const file = join(dir, 'apps.json')
  writeFileSync(file, '{"apps": [{"id": "a", "key": "k",\n  "secret": SuperSecret-91}]}')
  let message = ''
  try { loadConfig(['--config', file], {}) } catch (error) { message = (error as Error).message }
  t.equal(message, `${file}: not valid JSON at line 2, column 13 (offset 46)`)
  writeFileSync(file, '{"apps": [{"secret": "SuperSecret-91"}],}')
  try { loadConfig(['--config', file], {}) } catch (error) { message = (error as Error).message }
  t.equal(message, `${file}: not valid JSON at line 1, column 41 (offset 40)`)
})

t.test('webhook credentials: Basic auth on the request, no userinfo or query in any log line', async (t) => {
  const hook = await receiver(t)
  hook.answer = () => 500
  const { app, lines } = logged()
  const target = new URL(hook.url)
  const url = `http://us%40er:p%3Ass-55@${target.host}${target.pathname}?token=Tok-3e1`
  await app.register(broadcastt, {
    apps: [{ ...TEST_APP, webhooks: [{ url, eventTypes: ['channel_occupied'] }] }],
    webhookDelivery: { ...QUICK, retryHorizonMs: 0 }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const client = await open(t, `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/app/${TEST_APP.key}?protocol=7`)
  await joined(client, 'hello')
  await until(() => lines.some((l) => l.includes('webhook given up')))
  const [request] = hook.requests
  t.equal(request?.headers.authorization, `Basic ${Buffer.from('us@er:p:ss-55').toString('base64')}`)
  t.equal(request?.url, '/hook?token=Tok-3e1', 'the query is sent; the userinfo is not part of the request URL')
  const given = JSON.parse(lines.find((l) => l.includes('webhook given up')) as string) as { url: string }
  t.equal(given.url, `http://${target.host}/hook`)
  const all = lines.join('\n')
  t.notOk(all.includes('p%3Ass-55') || all.includes('Tok-3e1'), 'neither the password nor the token is logged')
})

t.test('webhook settings that cannot work are refused at start, without echoing them', async (t) => {
  const app = (hook: Record<string, unknown>) => ({ apps: [{ ...TEST_APP, webhooks: [{ eventTypes: ['client_event'], ...hook }] }] })
  t.throws(() => resolveOptions(app({ url: 'https://h/x', headers: { 'X-Token': 'Tok-9\r\nX-Evil: 1' } })),
    { message: /^options\.apps\[0\]\.webhooks\[0\]\.headers\.X-Token: Expected string to match/ })
  try { resolveOptions(app({ url: 'https://h/x', headers: { 'X-Token': 'Tok-9\r\n' } })) } catch (error) {
    t.notOk((error as Error).message.includes('Tok-9'), 'the value is not echoed')
  }
  t.throws(() => resolveOptions(app({ url: 'https://u:p@h/x', headers: { authorization: 'Bearer x' } })),
    { message: /webhooks\[0\]\.url: credentials in the URL and an Authorization header/ })
  t.ok(resolveOptions(app({ url: 'https://h/x', headers: { 'X-Token': 'tab\tand é' } })), 'tabs and latin-1 text are fine')
})

t.test('what the log helpers keep', async (t) => {
  const reply = Object.assign(new Error('WRONGPASS'), { command: { name: 'auth', args: ['u', 'secret'] } })
  t.same(loggableError(reply), { message: 'WRONGPASS' })
  const plain = new Error('boom')
  t.equal(loggableError(plain), plain, 'other errors are logged whole')
  t.same(errorFields(Object.assign(new Error('refused'), { code: 'ECONNREFUSED', address: '10.0.0.1' })), { message: 'refused', code: 'ECONNREFUSED' })
  t.same(errorFields('text'), { message: 'text' })
  t.equal(loggableUrl('https://u:p@h:8/a/b?t=1#f'), 'https://h:8/a/b')
  t.equal(loggableUrl('not a url'), '(invalid URL)')
})
