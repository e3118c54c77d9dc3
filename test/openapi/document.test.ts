/**
 * `openapi/openapi.json` is what `npm run openapi` produces (no drift), is a valid OpenAPI 3.1 document, and
 * describes every REST route with its parameters, bodies, responses and the signing scheme. The running
 * server serves it (under the prefix) together with the API reference page and its assets.
 */
import { readFileSync } from 'node:fs'
import { validate } from '@readme/openapi-parser'
import t from 'tap'
import { generateOpenApi, OPENAPI_FILE } from '../../scripts/openapi.js'
import { startServer } from '../helpers/server.js'

interface Doc {
  openapi: string
  paths: Record<string, Record<string, {
    operationId: string,
    parameters?: Array<{ name: string, in: string }>,
    requestBody?: unknown,
    responses: Record<string, unknown>
  }>>
  components: { schemas: Record<string, unknown>, securitySchemes: Record<string, { type: string, in: string, name: string }> }
  security: unknown
}

t.test('the committed document is up to date', async (t) => {
  const committed = readFileSync(OPENAPI_FILE, 'utf8')
  t.equal(committed, await generateOpenApi(), 'openapi/openapi.json differs from the routes: run `npm run openapi`')
})

t.test('the document is valid OpenAPI 3.1', async (t) => {
  const result = await validate(JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')))
  t.same(result, { valid: true, warnings: [], specification: 'OpenAPI' })
})

t.test('every route, parameter, body, response and the signing scheme are described', async (t) => {
  const doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as Doc
  t.equal(doc.openapi, '3.1.0')
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`)).sort()
  t.same(operations, [
    'GET /apps/{app_id}/channel/{channel_name} getChannelAlias',
    'GET /apps/{app_id}/channels listChannels',
    'GET /apps/{app_id}/channels/{channel_name} getChannel',
    'GET /apps/{app_id}/channels/{channel_name}/users listChannelUsers',
    'POST /apps/{app_id}/batch_events triggerBatch',
    'POST /apps/{app_id}/event triggerEvent',
    'POST /apps/{app_id}/events triggerEvents',
    'POST /apps/{app_id}/users/{user_id}/terminate_connections terminateUserConnections'
  ])
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const names = (op.parameters ?? []).map((p) => `${p.in}:${p.name}`)
      t.ok(names.includes('path:app_id') && names.includes('query:auth_timestamp') && names.includes('query:body_md5'),
        `${method} ${path}: app_id and the signing parameters`)
      t.same(Object.keys(op.responses).sort(), method === 'post' && !path.includes('/users/')
        ? ['200', '400', '401', '403', '404', '413', '429', '503']
        : ['200', '400', '401', '403', '404', '503'], `${method} ${path}: responses`)
      t.equal(op.requestBody !== undefined, method === 'post', `${method} ${path}: a body exactly on POST`)
    }
  }
  t.same(doc.components.securitySchemes.authKey, { ...doc.components.securitySchemes.authKey, type: 'apiKey', in: 'query', name: 'auth_key' })
  t.same(doc.components.securitySchemes.authSignature, { ...doc.components.securitySchemes.authSignature, type: 'apiKey', in: 'query', name: 'auth_signature' })
  t.same(doc.security, [{ authKey: [], authSignature: [] }])
  for (const name of ['Error', 'TriggerEvent', 'BatchEvent', 'EventsBody', 'TriggerResponse', 'ChannelResponse', 'UsersResponse']) {
    t.ok(doc.components.schemas[name], `component ${name}`)
  }
})

t.test('the server serves the document and the reference page under the prefix', async (t) => {
  const server = await startServer(t, { prefix: '/rt' })
  const base = `http://127.0.0.1:${server.port}/rt`
  const doc = await fetch(`${base}/openapi.json`)
  t.equal(doc.status, 200)
  const json = await doc.json() as Parameters<typeof validate>[0]
  t.ok((json as unknown as Doc).paths['/rt/apps/{app_id}/events'], 'paths carry the prefix')
  t.same((await validate(json)).valid, true)
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

t.test('the document and the page can be turned off', async (t) => {
  const server = await startServer(t, { rest: { openapi: false, docs: false } })
  t.equal((await fetch(`http://127.0.0.1:${server.port}/openapi.json`)).status, 404)
  t.equal((await fetch(`http://127.0.0.1:${server.port}/docs`)).status, 404)
  const docsOnly = await startServer(t, { rest: { openapi: false, docs: true } })
  t.equal((await fetch(`http://127.0.0.1:${docsOnly.port}/openapi.json`)).status, 200, 'the page needs the document')
})
