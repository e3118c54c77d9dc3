/**
 * `openapi/openapi.json` (3.1) and `openapi/openapi-3.0.json` (3.0.3) are what `npm run openapi` produces (no
 * drift), are valid, say the same, and serve generated SDKs: every object a named schema, maps as
 * `additionalProperties`, plain patterns, signing described once (not as operation parameters), every
 * status with the `Error` schema and a `default`, `Error.code` an enum, a `servers` entry. The running
 * server serves both renderings (under the prefix) together with the API reference page and its assets.
 */
import { readFileSync } from 'node:fs'
import { validate } from '@readme/openapi-parser'
import t from 'tap'
import { generateOpenApi, OPENAPI_30_FILE, OPENAPI_FILE } from '../../scripts/openapi.js'
import { SIGNING_PARAMETERS } from '../../src/auth/request-signature.js'
import { RouteNotFoundError } from '../../src/errors.js'
import { startServer } from '../helpers/server.js'

type Json = Record<string, unknown>
interface Operation {
  operationId: string
  parameters?: Array<{ name: string, in: string }>
  requestBody?: { content: Record<string, { schema: Json }> }
  responses: Record<string, { description: string, content: Record<string, { schema: Json }> }>
}
interface Doc {
  openapi: string
  info: { license: Json }
  servers: Array<{ url: string, variables: Record<string, { default: string }> }>
  paths: Record<string, Record<string, Operation>>
  components: {
    schemas: Record<string, Json & { properties?: Record<string, Json> }>
    securitySchemes: Record<string, Json>
  }
  security: unknown
  'x-request-signing': { parameters: Array<{ name: string, in: string, required: boolean }> }
}

const read = (file: URL): Doc => JSON.parse(readFileSync(file, 'utf8')) as Doc
const doc = read(OPENAPI_FILE)
const doc30 = read(OPENAPI_30_FILE)
const operations = (d: Doc): Array<[string, Operation]> => Object.entries(d.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]))

/** Every node under `node` with its JSON pointer-like path. */
function * walk (node: unknown, path: string): Generator<[string, Json]> {
  if (typeof node !== 'object' || node === null) return
  if (!Array.isArray(node)) yield [path, node as Json]
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'example' && key !== 'examples' && key !== 'enum') yield * walk(value, `${path}/${key}`)
  }
}

t.test('the committed documents are up to date', async (t) => {
  const generated = await generateOpenApi()
  t.equal(readFileSync(OPENAPI_FILE, 'utf8'), generated.v31, 'openapi/openapi.json differs from the routes: run `npm run openapi`')
  t.equal(readFileSync(OPENAPI_30_FILE, 'utf8'), generated.v30, 'openapi/openapi-3.0.json differs: run `npm run openapi`')
})

t.test('both documents are valid OpenAPI, 3.1.0 and 3.0.3', async (t) => {
  t.same([doc.openapi, doc30.openapi], ['3.1.0', '3.0.3'])
  for (const d of [doc, doc30]) {
    t.same(await validate(structuredClone(d) as unknown as Parameters<typeof validate>[0]), { valid: true, warnings: [], specification: 'OpenAPI' })
  }
})

/** The differences between the 3.1 and the 3.0 document beyond how 3.0 spells the same thing. */
function differences (a: unknown, b: unknown, path: string, out: string[]): string[] {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    if (a !== b) out.push(`${path}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`)
    return out
  }
  const left = { ...a as Json }
  const right = { ...b as Json }
  if (path === '') [left.openapi, right.openapi] = ['3.x', '3.x']
  if (path === '/info/license') delete left.identifier
  if (Array.isArray(left.examples) && !('examples' in right)) {
    // A 3.0 schema has one `example`: the first of the 3.1 schema's `examples`.
    left.example = left.examples[0]
    delete left.examples
  }
  const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])]
  for (const key of keys) differences(left[key], right[key], `${path}/${key}`, out)
  if (Array.isArray(a) !== Array.isArray(b)) out.push(`${path}: an array in one document only`)
  return out
}

t.test('the 3.0 rendering says what the 3.1 document says', async (t) => {
  t.same(differences(doc, doc30, '', []), [])
  t.same(Object.keys(doc30.components.schemas), Object.keys(doc.components.schemas), 'the same named schemas')
})

t.test('every route, with its parameters and body, without the signing parameters', async (t) => {
  t.same(operations(doc).map(([route, op]) => `${route} ${op.operationId}`).sort(), [
    'GET /apps/{app_id}/channel/{channel_name} getChannelAlias',
    'GET /apps/{app_id}/channels listChannels',
    'GET /apps/{app_id}/channels/{channel_name} getChannel',
    'GET /apps/{app_id}/channels/{channel_name}/users listChannelUsers',
    'POST /apps/{app_id}/batch_events triggerBatch',
    'POST /apps/{app_id}/event triggerEvent',
    'POST /apps/{app_id}/events triggerEvents',
    'POST /apps/{app_id}/users/{user_id}/terminate_connections terminateUserConnections'
  ])
  for (const [route, op] of operations(doc)) {
    const names = (op.parameters ?? []).map((p) => `${p.in}:${p.name}`)
    t.ok(names.includes('path:app_id'), `${route}: app_id`)
    t.same(names.filter((name) => (SIGNING_PARAMETERS as readonly string[]).includes(name.slice(name.indexOf(':') + 1))), [],
      `${route}: no signing parameter for the caller to fill`)
    t.equal(op.requestBody !== undefined, route.startsWith('POST'), `${route}: a body exactly on POST`)
  }
  const queries = Object.fromEntries(operations(doc).map(([route, op]) =>
    [route, (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name)]))
  t.same(queries['GET /apps/{app_id}/channels'], ['filter_by_prefix', 'info'])
  t.same(queries['GET /apps/{app_id}/channels/{channel_name}'], ['info'])
})

t.test('signing is described once, as the request hook it is', async (t) => {
  t.same(doc.security, [{ appKey: [] }])
  t.same(Object.keys(doc.components.securitySchemes), ['appKey'], 'no scheme offers a static signature')
  t.match(doc.components.securitySchemes.appKey, { type: 'apiKey', in: 'query', name: 'auth_key', description: /request hook/ })
  const signing = doc['x-request-signing']
  t.same(signing.parameters.map((p) => p.name).sort(), [...SIGNING_PARAMETERS].sort(), 'x-request-signing lists them')
  t.same(signing.parameters.filter((p) => !p.required).map((p) => p.name), ['body_md5'], 'all required but body_md5')
  t.ok(signing.parameters.every((p) => p.in === 'query'))
  t.match(signing, { algorithm: 'HMAC-SHA256', stringToSign: 'METHOD\nPATH\nQUERY' })
})

t.test('every status with the Error schema and a default; Error.code the enum of the listed codes', async (t) => {
  const listed = new Set<string>([new RouteNotFoundError('GET', '/').code])
  for (const [route, op] of operations(doc)) {
    const expected = route.startsWith('GET')
      ? ['200', '400', '401', '403', '404', '429', '500', '503', 'default']
      : route.includes('/users/')
        ? ['200', '400', '401', '403', '404', '413', '500', '503', 'default']
        : ['200', '400', '401', '403', '404', '413', '429', '500', '503', 'default']
    t.same(Object.keys(op.responses), expected, `${route}: statuses`)
    for (const [status, response] of Object.entries(op.responses)) {
      const schema = response.content['application/json']?.schema
      if (status === '200') continue
      t.same(schema, { $ref: '#/components/schemas/Error' }, `${route} ${status}: the Error schema`)
      for (const [code] of response.description.matchAll(/FST_[A-Z_]+/g)) listed.add(code)
    }
  }
  const code = doc.components.schemas.Error?.properties?.code
  t.same([...code?.enum as string[]].sort(), [...listed].sort(), 'the enum holds exactly the codes the operations list')
  t.equal(code?.type, 'string')
})

t.test('every object a named schema, maps as additionalProperties, plain patterns', async (t) => {
  const problems: string[] = []
  for (const [path, node] of walk(doc, '')) {
    if ('patternProperties' in node) problems.push(`${path}: patternProperties`)
    if (typeof node.pattern === 'string' && /\\[a-zA-Z]/.test(node.pattern)) problems.push(`${path}: pattern ${node.pattern}`)
    const object = node.type === 'object' || 'properties' in node || 'additionalProperties' in node
    if (object && !/^\/components\/schemas\/[A-Za-z]+$/.test(path)) problems.push(`${path}: an unnamed object schema`)
  }
  t.same(problems, [], 'no patternProperties, no \\d-style classes, no inline object schema')
  for (const [route, op] of operations(doc)) {
    for (const media of [...Object.values(op.requestBody?.content ?? {}), ...Object.values(op.responses).flatMap((r) => Object.values(r.content))]) {
      t.match(media.schema, { $ref: /^#\/components\/schemas\// }, `${route}: a body or answer is a named schema`)
    }
  }
  const { schemas } = doc.components
  const [event, batch, array] = schemas.EventsBody?.anyOf as Json[]
  t.same([event, batch], [{ $ref: '#/components/schemas/TriggerEvent' }, { $ref: '#/components/schemas/BatchEventsBody' }],
    'the {batch} branch of EventsBody is BatchEventsBody')
  t.match(array, { type: 'array', items: { $ref: '#/components/schemas/BatchEvent' } })
  for (const owner of ['ChannelsResponse', 'TriggerResponse']) {
    t.same(schemas[owner]?.properties?.channels, { $ref: '#/components/schemas/ChannelAttributesMap' }, `${owner}.channels`)
  }
  t.match(schemas.ChannelAttributesMap, { type: 'object', additionalProperties: { $ref: '#/components/schemas/ChannelAttributes' } })
})

t.test('a servers entry whose host is a variable', async (t) => {
  t.equal(doc.servers.length, 1)
  const [server] = doc.servers
  t.match(server?.url, /\{host\}/)
  t.equal(server?.variables.host?.default, '127.0.0.1')
})

t.test('the server serves both renderings and the reference page under the prefix', async (t) => {
  const server = await startServer(t, { prefix: '/rt', rest: { docs: true } })
  const base = `http://127.0.0.1:${server.port}/rt`
  for (const [file, version] of [['openapi.json', '3.1.0'], ['openapi-3.0.json', '3.0.3']] as const) {
    const response = await fetch(`${base}/${file}`)
    t.equal(response.status, 200, file)
    const json = await response.json() as Doc
    t.equal(json.openapi, version)
    t.ok(json.paths['/rt/apps/{app_id}/events'], `${file}: paths carry the prefix`)
    t.same((await validate(json as unknown as Parameters<typeof validate>[0])).valid, true)
  }
  const page = await fetch(`${base}/docs`)
  t.equal(page.headers.get('content-type'), 'text/html; charset=utf-8')
  const html = await page.text()
  t.match(html, /data-url="\/rt\/openapi\.json"/)
  for (const asset of ['/rt/docs/swagger-ui.css', '/rt/docs/swagger-ui-bundle.js', '/rt/docs/init.js']) {
    t.ok(html.includes(asset), `the page loads ${asset}`)
    const response = await fetch(`http://127.0.0.1:${server.port}${asset}`)
    t.equal(response.status, 200, asset)
    t.ok((await response.text()).length > 100, `${asset} has content`)
  }
})

t.test('the documents and the page can be turned off', async (t) => {
  const server = await startServer(t, { rest: { openapi: false, docs: false } })
  for (const path of ['/openapi.json', '/openapi-3.0.json', '/docs']) {
    t.equal((await fetch(`http://127.0.0.1:${server.port}${path}`)).status, 404, path)
  }
  const docsOnly = await startServer(t, { rest: { openapi: false, docs: true } })
  t.equal((await fetch(`http://127.0.0.1:${docsOnly.port}/openapi.json`)).status, 200, 'the page needs the document')
})
