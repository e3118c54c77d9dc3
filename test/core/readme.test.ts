import t from 'tap'
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { WireError } from '../../src/protocol/wire-errors.js'
import * as errors from '../../src/errors.js'
import { startServer } from '../helpers/server.js'
import { open } from '../helpers/ws-client.js'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const docsDir = new URL('../../docs/', import.meta.url)
/** The README and the docs it links to. */
const allDocs = [readme, ...readdirSync(docsDir).filter((f) => f.endsWith('.md')).map((f) => readFileSync(new URL(f, docsDir), 'utf8'))].join('\n')

t.test('the README\'s wire error table is the source table', async (t) => {
  const section = readme.slice(readme.indexOf('## Errors'))
  const rows = [...section.matchAll(/^\| (\d+|null) \| [^|]+\| (yes|no) \|$/gm)].map((m) => `${m[1]}:${m[2]}`)
  const table = Object.values(WireError).map((e) => `${e.code === null ? 'null' : e.code}:${e.closes ? 'yes' : 'no'}`)
  t.same(rows.sort(), table.sort())
})

t.test('every coded error of src/errors.ts is named in the README or docs/', async (t) => {
  for (const [name, ErrorClass] of Object.entries(errors)) {
    const code = (new (ErrorClass as new (...a: string[]) => { code: string })('x')).code
    t.ok(allDocs.includes(code), `${name} (${code}) is documented`)
  }
})

t.test('the README\'s curl recipe triggers an event and queries channels on a real server', async (t) => {
  const section = readme.slice(readme.indexOf('## Trigger from a backend'), readme.indexOf('## The standalone server'))
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
  t.equal(blocks.length, 2, 'a trigger and a query')
  const server = await startServer(t, { apps: [{ id: 'app-id', key: 'app-key', secret: 'app-secret' }] })
  const client = await open(t, server.wsUrl('app-key'))
  await client.subscribe('my-channel')
  const script = blocks.join('\n').replace('BASE=http://127.0.0.1:6001', `BASE=http://127.0.0.1:${server.port}`)
  const { stdout } = await promisify(execFile)('bash', ['-euc', script])
  t.equal(stdout, '{}{"channels":{"my-channel":{"subscription_count":1}}}', 'the two answers, as curl prints them')
  const event = await client.next('my-event')
  t.same(event.json, { message: 'hello' })
})
