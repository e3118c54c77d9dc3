/**
 * docs/rest-api.md keeps up with the code: its error table lists exactly the REST API's coded errors
 * (`refusals.ts`, which the OpenAPI document lists too) with their statuses.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { REST_ERRORS, refusalOf } from '../../src/routes/http/refusals.js'

const DOC = readFileSync(new URL('../../docs/rest-api.md', import.meta.url), 'utf8')

t.test('the error table lists every REST error code with its status', async (t) => {
  const rest = REST_ERRORS.map((E) => { const { status, code } = refusalOf(E); return `${status} ${code}` }).sort()
  const rows = [...DOC.matchAll(/^\| (\d{3}) \| `(FST_[A-Z_]+)` \|/gm)].map((m) => `${m[1] ?? ''} ${m[2] ?? ''}`).sort()
  t.same(rows, rest)
})
