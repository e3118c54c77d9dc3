/**
 * Seeded generators of hostile input for the fuzz run: WebSocket frames (both dialects' events with every
 * field missing or of the wrong type, random and mutated JSON, deep nesting, huge numbers, oversized text,
 * binary frames, invalid UTF-8) and REST requests (bad JSON, odd content types, duplicate and odd query keys,
 * empty and oversized bodies, some correctly signed).
 */
import fc from 'fast-check'

export type FuzzFrame =
  | { readonly kind: 'text', readonly text: string }
  | { readonly kind: 'binary', readonly bytes: Uint8Array }
  | { readonly kind: 'invalid-utf8', readonly bytes: Uint8Array }

const PREFIXES = ['pusher', 'broadcastt', 'pusher_internal', 'broadcastt_internal']
const ACTIONS = ['subscribe', 'unsubscribe', 'ping', 'pong', 'cache_miss', 'error', 'connection_established', 'member_added']

const wrongType = fc.oneof(
  fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(1e308), fc.constant(-0),
  fc.constant(Number.MAX_SAFE_INTEGER * 1024), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 2 }),
  fc.string({ maxLength: 40 })
)

const channel = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom('fuzz', 'private-fuzz', 'presence-fuzz', 'cache-fuzz', 'presence-cache-fuzz',
      'private-encrypted-fuzz', '#server-to-user-1', 'obs', '__proto__', 'constructor')
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 260 }) },
  { weight: 1, arbitrary: fc.integer({ min: 190, max: 210 }).map((n) => 'c'.repeat(n)) },
  { weight: 1, arbitrary: wrongType }
)

const maybeJson = fc.oneof(fc.json({ maxDepth: 3 }), fc.string({ maxLength: 60 }), wrongType)

const body = fc.record({
  channel,
  auth: fc.oneof(fc.string({ maxLength: 100 }), fc.constant('test-key:' + 'ab'.repeat(32)), wrongType),
  channel_data: fc.oneof(fc.constant('{"user_id":"1"}'), fc.constant('{"user_id":"__proto__","user_info":{"__proto__":1}}'), maybeJson),
  user_data: fc.oneof(fc.constant('{"id":"1"}'), maybeJson),
  user_id: wrongType
}, { requiredKeys: [] })

const eventName = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(fc.constantFrom(...PREFIXES), fc.constantFrom(...ACTIONS)).map(([p, a]) => `${p}:${a}`) },
  { weight: 1, arbitrary: fc.constantFrom('pusher:signin', 'broadcastt:signin') },
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }).map((s) => `client-${s}`) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: wrongType }
)

const envelope = fc.record({
  event: eventName,
  channel,
  data: fc.oneof(body, body.map((b) => JSON.stringify(b)), wrongType)
}, { requiredKeys: [] })

/** Replaces, inserts or deletes a few characters of a JSON text. */
const mutated = fc.tuple(envelope.map((e) => JSON.stringify(e)), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 2 }), fc.string({ minLength: 1, maxLength: 1 })), {
  minLength: 1, maxLength: 4
})).map(([text, edits]) => {
  let out = text
  for (const [at, op, ch] of edits) {
    const i = out.length === 0 ? 0 : at % out.length
    out = op === 0 ? out.slice(0, i) + ch + out.slice(i + 1) : op === 1 ? out.slice(0, i) + ch + out.slice(i) : out.slice(0, i) + out.slice(i + 1)
  }
  return out
})

const text = fc.oneof(
  { weight: 40, arbitrary: envelope.map((e) => JSON.stringify(e)) },
  { weight: 10, arbitrary: mutated },
  { weight: 3, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => '['.repeat(n) + ']'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 1000 }).map((n) => '{"event":'.repeat(n) + '1' + '}'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('1e999999', '-1e400', '9'.repeat(5000), '"\\ud800"', '{"event":"pusher:ping","data":1e309}') }
)

export const frameArbitrary: fc.Arbitrary<FuzzFrame> = fc.oneof(
  { weight: 200, arbitrary: text.map((t): FuzzFrame => ({ kind: 'text', text: t })) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes): FuzzFrame => ({ kind: 'binary', bytes })) },
  { weight: 1, arbitrary: fc.constant<FuzzFrame>({ kind: 'text', text: 'x'.repeat(13 * 1024) }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Uint8Array.from([0xff, 0xfe]), Uint8Array.from([0x7b, 0xc3, 0x28, 0x7d]), Uint8Array.from([0xed, 0xa0, 0x80])
    ).map((bytes): FuzzFrame => ({ kind: 'invalid-utf8', bytes }))
  }
)

/** `count` frames from `seed`, generated in chunks so a long run never holds them all. */
export function * frames (seed: number, count: number): Generator<FuzzFrame> {
  const chunk = 1000
  for (let done = 0; done < count; done += chunk) {
    yield * fc.sample(frameArbitrary, { seed: seed + done, numRuns: Math.min(chunk, count - done) })
  }
}

export interface FuzzRequest {
  readonly method: string
  readonly route: string
  readonly query: Array<[string, string]>
  readonly contentType: string | undefined
  readonly body: string | undefined
  /** Sign the request (over the generated query and body) with the test app's secret. */
  readonly sign: boolean
}

const queryKey = fc.oneof(fc.constantFrom('info', 'filter_by_prefix', 'auth_key', 'auth_timestamp', 'auth_signature',
  'body_md5', 'auth_version', '__proto__', 'constructor', 'toString', 'a[]', ''), fc.string({ maxLength: 10 }))

export const requestArbitrary: fc.Arbitrary<FuzzRequest> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'GET', 'POST'),
  route: fc.oneof(
    fc.constantFrom('/events', '/batch_events', '/channels', '/channels/fuzz', '/channel/presence-fuzz',
      '/channels/presence-fuzz/users', '/users/1/terminate_connections', '/nope', '/channels/%E0%A4%A', '/channels/a%2Fb'),
    fc.integer({ min: 90, max: 220 }).map((n) => '/channels/' + 'c'.repeat(n)),
    fc.string({ maxLength: 30 }).map((s) => '/' + encodeURIComponent(s))
  ),
  query: fc.array(fc.tuple(queryKey, fc.string({ maxLength: 20 })), { maxLength: 6 }),
  contentType: fc.option(fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x', 'application/json; charset=latin1', ''), { nil: undefined }),
  body: fc.option(fc.oneof(
    fc.json({ maxDepth: 3 }),
    envelope.map((e) => JSON.stringify({ name: e.event, channels: ['fuzz'], data: e.data })),
    fc.string({ maxLength: 100 }),
    fc.constant(''),
    fc.constant('{"batch":' + JSON.stringify(Array.from({ length: 11 }, () => ({ name: 'e', channel: 'c', data: '' }))) + '}'),
    fc.constant('x'.repeat(1024 * 1024 + 10))
  ), { nil: undefined }),
  sign: fc.boolean()
})
