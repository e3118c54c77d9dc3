/** The standalone process's early exits: --version, and a bad value stopping start-up with one line. */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { runToEnd } from './process.js'

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

t.test('--version prints the version', async (t) => {
  const version = await runToEnd(['--version'])
  t.same({ code: version.code, stdout: version.stdout }, { code: 0, stdout: VERSION + '\n' })
})

t.test('the process stops at a bad value with one line and exit code 1', async (t) => {
  const result = await runToEnd([], { PORT: '0', BROADCASTT_MAX_CONNECTIONS: 'lots' })
  t.equal(result.code, 1)
  t.equal(result.stdout, '')
  t.equal(result.stderr, 'broadcastt-server: invalid configuration: BROADCASTT_MAX_CONNECTIONS: expected a whole number ≥ 0, got "lots"\n')
})
