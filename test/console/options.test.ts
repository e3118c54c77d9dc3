/**
 * The `console` option and BROADCASTT_CONSOLE_TOKEN, and the bundle the console serves: off by default,
 * a token required when on, the standalone server's variable, and dist/console-ui being what
 * `npm run build` makes of console-ui/ today.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { loadConfig } from '../../src/config/load.js'
import { startStandalone } from '../../src/cli/server.js'
import { ASSET_DIR, loadAssets } from '../../src/console/assets.js'
import { buildConsoleUi } from '../../scripts/build-console.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { BEARER, startConsole, TOKEN } from './helpers.js'

t.test('off by default; on, it needs a token of 16 characters and a path', async (t) => {
  const server = await startServer(t)
  t.equal((await fetch(`http://127.0.0.1:${server.port}/console`)).status, 404)
  const register = async (console: object): Promise<unknown> => {
    const { default: Fastify } = await import('fastify')
    const { default: broadcastt } = await import('../../src/index.js')
    const app = Fastify()
    t.teardown(() => app.close())
    return await app.register(broadcastt, { apps: [TEST_APP], console }).ready()
  }
  await t.rejects(register({ enabled: true }), { code: 'FST_BROADCASTT_INVALID_OPTIONS', message: 'options.console.token: required when console.enabled is true' })
  await t.rejects(register({ enabled: true, token: 'short' }), { message: /^options\.console\.token: Expected string length greater or equal to 16/ })
  await t.rejects(register({ enabled: true, token: TOKEN, path: 'console' }), { message: /^options\.console\.path: / })
  await t.resolves(register({ token: TOKEN }), 'a token alone does not turn it on')
})

t.test('BROADCASTT_CONSOLE_TOKEN turns it on at /console in the standalone server', async (t) => {
  const config = loadConfig([], { BROADCASTT_CONSOLE_TOKEN: TOKEN, PORT: '0', LOG_LEVEL: 'silent' })
  t.same(config.options.console, { enabled: true, path: '/console', token: TOKEN })
  t.same(loadConfig([], {}).options.console, { enabled: false, path: '/console' }, 'off without it')
  t.throws(() => loadConfig([], { BROADCASTT_CONSOLE_TOKEN: 'short' }), { message: /^BROADCASTT_CONSOLE_TOKEN: console\.token: Expected string length/ })
  const standalone = await startStandalone(config)
  t.teardown(() => standalone.close())
  t.match(standalone.banner, `debug console ${standalone.url}/console`)
  t.equal((await fetch(`${standalone.url}/console/api/apps`, { headers: BEARER })).status, 200)
})

t.test('the bundle: served with its types, built from console-ui/ as it is now', async (t) => {
  const server = await startConsole(t)
  for (const [file, type] of [['console.js', 'text/javascript'], ['console.css', 'text/css']] as const) {
    const res = await fetch(`${server.base}/assets/${file}`)
    t.equal(res.status, 200, file)
    t.match(res.headers.get('content-type'), type)
    t.ok(Buffer.from(await res.arrayBuffer()).equals(readFileSync(new URL(file, ASSET_DIR))), `${file} is dist/console-ui/${file}`)
  }
  t.equal((await fetch(`${server.base}/assets/other.js`)).status, 404)
  const built = await buildConsoleUi(false)
  t.equal(built.length, 2)
  for (const file of built) {
    const name = file.path.split('/').pop() ?? ''
    t.ok(Buffer.from(file.contents).equals(readFileSync(new URL(name, ASSET_DIR))),
      `dist/console-ui/${name} is what npm run build makes of console-ui/ (run npm run build after changing it)`)
  }
  const js = readFileSync(new URL('console.js', ASSET_DIR), 'utf8')
  t.notMatch(js, /https?:\/\/(?!www\.w3\.org)/, 'the bundle loads nothing from another origin')
  t.throws(() => loadAssets(new URL('missing/', ASSET_DIR)), { code: 'FST_BROADCASTT_CONSOLE_NOT_BUILT', message: /missing\/console\.js is missing; run npm run build/ })
})
