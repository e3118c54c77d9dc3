/**
 * The standalone server's request loggers (`lazyChildLogger`): a request that logs nothing at the enabled
 * levels never creates its pino child, and one that logs gets a real child with its bindings (reqId) and
 * the parent's redaction.
 */
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import t from 'tap'
import { lazyChildLogger, loggerOptions } from '../../src/cli/logger.js'

function capture (): { stream: Writable, lines: () => Array<Record<string, unknown>> } {
  let text = ''
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { text += chunk.toString(); done() } })
  return { stream, lines: () => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) }
}

t.test('request loggers log with their bindings and redaction, and cost nothing when silent', async (t) => {
  const out = capture()
  const app = Fastify({
    logger: { ...loggerOptions('warn', 'json'), stream: out.stream },
    childLoggerFactory: lazyChildLogger
  })
  let children = 0
  const child = app.log.child.bind(app.log)
  app.log.child = ((...args: Parameters<typeof child>) => { children++; return child(...args) }) as typeof child
  app.get('/quiet', async (request) => {
    request.log.info({ auth_signature: 'x' }, 'below the level')
    request.log.debug('below the level')
    return { level: request.log.level }
  })
  app.get('/loud', async (request) => {
    request.log.warn({ auth_signature: 'secret-signature' }, 'loud')
    request.log.error('louder')
    return {}
  })
  t.teardown(() => app.close())
  t.same((await app.inject('/quiet')).json(), { level: 'warn' })
  t.equal(children, 0, 'no pino child for a request that logged below the level')
  await app.inject('/loud')
  t.equal(children, 1, 'one child for a request that logged, however many lines')
  const lines = out.lines().filter((l) => l.msg === 'loud' || l.msg === 'louder')
  t.equal(lines.length, 2)
  t.match(lines[0], { level: 40, reqId: /^req-/, auth_signature: '[redacted]' }, 'bindings and redaction of the parent')
  t.equal(lines[0]?.reqId, lines[1]?.reqId)
  t.notOk(out.lines().some((l) => l.msg === 'below the level'))
})

t.test('a route with its own log level gets an eager child at that level', async (t) => {
  const out = capture()
  const app = Fastify({ logger: { ...loggerOptions('warn', 'json'), stream: out.stream }, childLoggerFactory: lazyChildLogger })
  app.get('/chatty', { logLevel: 'debug' }, async (request) => {
    request.log.debug('route level')
    return {}
  })
  t.teardown(() => app.close())
  await app.inject('/chatty')
  t.match(out.lines().find((l) => l.msg === 'route level'), { level: 20, reqId: /^req-/ })
})
