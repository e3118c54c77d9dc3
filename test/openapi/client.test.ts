/**
 * An SDK generated from `openapi/openapi.json` works: openapi-typescript generates the types during the test
 * (into the git-ignored test/.generated/), a small client written against them with openapi-fetch and a
 * signing middleware (src/auth's signer) is type-checked with the TypeScript compiler, then run: it
 * triggers an event that a WebSocket subscriber receives, and reads a typed error.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import openapiTS, { astToString } from 'openapi-typescript'
import t from 'tap'
import ts from 'typescript'
import { OPENAPI_FILE } from '../../scripts/openapi.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { delivered, subscriber } from '../http/helpers.js'

const DIR = new URL('../.generated/', import.meta.url)

interface GeneratedClient {
  trigger (channel: string, name: string, data: string): Promise<{ status: number, ok: unknown, error: unknown }>
  channel (name: string): Promise<{ status: number, occupied: boolean | undefined, code: string | undefined }>
}

const CLIENT = `import createClient, { type Middleware } from 'openapi-fetch'
import { signRequest } from '../../src/auth/request-signature.js'
import type { paths } from './openapi.js'

interface Credentials { id: string, key: string, secret: string }

/** Signs every request as PROTOCOL.md §10 says: the query gets auth_* and body_md5 parameters. */
export function signing (app: Credentials): Middleware {
  return {
    async onRequest ({ request }) {
      const url = new URL(request.url)
      const body = request.body === null ? undefined : await request.clone().text()
      const signed = signRequest(app, request.method, url.pathname, Object.fromEntries(url.searchParams), body)
      const query = Object.entries(signed).map(([k, v]) => k + '=' + encodeURIComponent(String(v))).join('&')
      return new Request(url.origin + url.pathname + '?' + query, {
        method: request.method, headers: request.headers, ...(body === undefined ? {} : { body })
      })
    }
  }
}

export function client (baseUrl: string, app: Credentials) {
  const api = createClient<paths>({ baseUrl })
  api.use(signing(app))
  return {
    async trigger (channel: string, name: string, data: string) {
      const { data: ok, error, response } = await api.POST('/apps/{app_id}/events', {
        params: { path: { app_id: app.id } },
        body: { name, channel, data, info: 'subscription_count' }
      })
      return { status: response.status, ok, error }
    },
    async channel (name: string) {
      const { data, error, response } = await api.GET('/apps/{app_id}/channels/{channel_name}', {
        params: { path: { app_id: app.id, channel_name: name }, query: { info: 'subscription_count' } }
      })
      const occupied: boolean | undefined = data?.occupied
      const code: string | undefined = error?.code
      return { status: response.status, occupied, code, error }
    }
  }
}
`

t.test('a client generated from the document triggers and queries', async (t) => {
  mkdirSync(DIR, { recursive: true })
  writeFileSync(new URL('openapi.d.ts', DIR), astToString(await openapiTS(OPENAPI_FILE)))
  const clientFile = new URL('client.ts', DIR)
  writeFileSync(clientFile, CLIENT)

  const program = ts.createProgram([clientFile.pathname], {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    skipLibCheck: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true
  })
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
  t.same(problems, [], 'the generated types check against the calls')

  // Typed by hand: the generated module does not exist before the test runs (and is not type-checked with the project).
  const { client } = await import(clientFile.href) as { client: (baseUrl: string, app: typeof TEST_APP) => GeneratedClient }
  const server = await startServer(t)
  const sub = await subscriber(t, server, ['generated'])
  const api = client(`http://127.0.0.1:${server.port}`, TEST_APP)
  t.same(await api.trigger('generated', 'from-sdk', '{"ok":true}'),
    { status: 200, ok: { channels: { generated: { subscription_count: 1 } } }, error: undefined })
  t.same(await delivered(sub), [{ event: 'from-sdk', channel: 'generated', data: '{"ok":true}' }])
  const state = await api.channel('generated')
  t.same([state.status, state.occupied], [200, true])
  const bad = await api.channel('not valid!')
  t.same([bad.status, bad.code], [400, 'FST_BROADCASTT_INVALID_REQUEST'], 'errors are typed with the Error schema')
})
