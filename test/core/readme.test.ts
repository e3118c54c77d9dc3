import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { WireError } from '../../src/protocol/wire-errors.js'
import * as errors from '../../src/errors.js'

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
