/**
 * A signed REST request's query string is bounded before its signature is checked: at most
 * `QUERY_LIMITS.bytes` of query string and `QUERY_LIMITS.params` parameters, else 400; parsing is linear in
 * the length (a repeated key appends to its array); an unknown app id is refused before the query is read.
 */
import t from 'tap'
import { parseQueryString, QUERY_LIMITS, signRequest } from '../../src/auth/request-signature.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { send, signed, unescapedQuery } from './helpers.js'

t.test('a query string over the caps is refused with 400 before it is verified', async (t) => {
  const server = await startServer(t)
  const path = `/apps/${TEST_APP.id}/channels`
  const good = unescapedQuery(signRequest(TEST_APP, 'GET', path))
  // One key repeated 7,000 times: 14 KB, within Node's header limit (16 KB).
  const long = await send(server, 'GET', `${path}?${'k&'.repeat(7000)}${good}`)
  t.equal(long.status, 400)
  t.match(long.body, {
    code: 'FST_BROADCASTT_INVALID_REQUEST',
    message: new RegExp(`^The query string is \\d+ bytes; the limit is ${QUERY_LIMITS.bytes}$`)
  })
  // Short enough, but too many parameters.
  const many = `${'k&'.repeat(QUERY_LIMITS.params)}${good}`
  t.ok(many.length < QUERY_LIMITS.bytes)
  const counted = await send(server, 'GET', `${path}?${many}`)
  t.equal(counted.status, 400)
  t.match(counted.body, { code: 'FST_BROADCASTT_INVALID_REQUEST', message: `The query string has more than ${QUERY_LIMITS.params} parameters` })
  const fine = await signed(server, 'GET', '/channels', { query: { filter_by_prefix: 'p'.repeat(200), extra: ['1', '2'] } })
  t.equal(fine.status, 200, 'a signed query within the caps is served')
})

t.test('an unknown app id is refused (404) before its query is read', async (t) => {
  const server = await startServer(t)
  const response = await send(server, 'GET', `/apps/nobody/channels?${'k&'.repeat(7000)}`)
  t.equal(response.status, 404)
  t.match(response.body, { code: 'FST_BROADCASTT_UNKNOWN_APP' })
})

t.test('parsing is linear in the number of repeats of a key', async (t) => {
  // 200,000 repeats: linear parsing takes milliseconds; copying the array per repeat (quadratic) takes
  // minutes. The bound is generous (a loaded shared machine) and only tells the two apart.
  const text = 'k=1&'.repeat(200_000)
  const started = process.hrtime.bigint()
  const query = parseQueryString(text)
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  t.equal((query?.k as string[]).length, 200_000)
  t.ok(ms < 5000, `parsed in ${ms.toFixed(0)} ms`)
  t.equal(parseQueryString(text, 10), undefined, 'parsing stops past maxParams')
  t.same(parseQueryString('a=1&a=2&b', 3), Object.assign(Object.create(null), { a: ['1', '2'], b: '' }))
  t.equal(parseQueryString('a=%201&a=2&b', 2), undefined, 'the decoding path counts too')
})
