/**
 * A TypeScript SDK generated from the document works, signed by the request hook docs/rest-api.md shows:
 * openapi-typescript generates the types of both renderings (3.1 and 3.0) during the test (into the
 * git-ignored test/.generated/), a client written against them with openapi-fetch, the documented hook and
 * the documented usage example are type-checked with the TypeScript compiler (typed access to a channel's
 * `subscription_count`, `Error.code` an enum, no signing parameter to fill per call), then the client runs
 * against a real server.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import openapiTS, { astToString } from 'openapi-typescript'
import t from 'tap'
import ts from 'typescript'
import { OPENAPI_30_FILE, OPENAPI_FILE } from '../../scripts/openapi.js'
import { startServer, TEST_APP } from '../helpers/server.js'
import { delivered, subscriber } from '../http/helpers.js'
import { docBlocks } from './doc-blocks.js'

const DIR = new URL('../.generated/', import.meta.url)

/** The documented hook (the block that starts `// signing.ts`) and usage example (the one that calls it). */
const HOOK = docBlocks('ts').find((block) => block.startsWith('// signing.ts\n'))
const USAGE = docBlocks('ts').find((block) => block.includes('api.use(signing('))

interface Outcome { status: number, counts: unknown, code: unknown }

interface GeneratedClient {
  trigger (channel: string, name: string, data: string): Promise<Outcome>
  channels (): Promise<Outcome>
  terminate (userId: string): Promise<Outcome>
  channel (name: string): Promise<Outcome>
}

/** A client of the generated `paths` (of `types`): typed calls, typed answers, typed errors. */
const client = (types: string): string => `import createClient from 'openapi-fetch'
import type { components, paths } from './${types}'
import { signing } from './signing.js'

type Code = NonNullable<components['schemas']['Error']['code']>
export const known: Code = 'FST_BROADCASTT_RATE_LIMITED'
// @ts-expect-error Error.code is an enum of the error table
export const bogus: Code = 'NOT_A_CODE'
type ChannelQuery = NonNullable<paths['/apps/{app_id}/channels/{channel_name}']['get']['parameters']['query']>
export const asked: Array<keyof ChannelQuery> = ['info']
// @ts-expect-error the signing parameters are the hook's, not the caller's
export const signingParameter: keyof ChannelQuery = 'auth_timestamp'

export function client (baseUrl: string, app: { id: string, key: string, secret: string }) {
  const api = createClient<paths>({ baseUrl })
  api.use(signing(app))
  const path = { app_id: app.id }
  return {
    async trigger (channel: string, name: string, data: string) {
      const { data: ok, response } = await api.POST('/apps/{app_id}/events', {
        params: { path }, body: { name, channel, data, info: 'subscription_count' }
      })
      const count: number | undefined = ok?.channels?.[channel]?.subscription_count
      return { status: response.status, counts: count, code: undefined }
    },
    async channels () {
      const { data, response } = await api.GET('/apps/{app_id}/channels', {
        params: { path, query: { info: 'subscription_count' } }
      })
      const counts: Record<string, number | undefined> = {}
      for (const [name, attributes] of Object.entries(data?.channels ?? {})) counts[name] = attributes.subscription_count
      // @ts-expect-error subscription_count is a number
      const wrong: string | undefined = data?.channels['x']?.subscription_count
      return { status: response.status, counts, code: wrong }
    },
    async terminate (userId: string) {
      const { response } = await api.POST('/apps/{app_id}/users/{user_id}/terminate_connections', {
        params: { path: { ...path, user_id: userId } }
      })
      return { status: response.status, counts: undefined, code: undefined }
    },
    async channel (name: string) {
      const { data, error, response } = await api.GET('/apps/{app_id}/channels/{channel_name}', {
        params: { path: { ...path, channel_name: name }, query: { info: 'subscription_count' } }
      })
      const code: Code | undefined = error?.code
      return { status: response.status, counts: data?.subscription_count, code }
    }
  }
}
`

const OPTIONS: ts.CompilerOptions = {
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
}

function problems (files: URL[]): string[] {
  const program = ts.createProgram(files.map((file) => file.pathname), OPTIONS)
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file === undefined || d.start === undefined ? 0 : d.file.getLineAndCharacterOfPosition(d.start).line + 1
    return `${d.file?.fileName ?? ''}:${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
  })
}

t.test('the documented hook and example sign and type a client generated from either rendering', async (t) => {
  if (HOOK === undefined || USAGE === undefined) throw new Error('docs/rest-api.md lost its TypeScript signing hook or example')
  mkdirSync(DIR, { recursive: true })
  writeFileSync(new URL('signing.ts', DIR), HOOK)
  const files: URL[] = []
  for (const [name, file] of [['openapi', OPENAPI_FILE], ['openapi-30', OPENAPI_30_FILE]] as const) {
    writeFileSync(new URL(`${name}.d.ts`, DIR), astToString(await openapiTS(file)))
    files.push(new URL(`client-${name}.ts`, DIR))
    writeFileSync(files.at(-1) as URL, client(`${name}.js`))
  }
  const usage = new URL('usage.ts', DIR)
  writeFileSync(usage, `import { signing } from './signing.js'\n${USAGE}export { count }\n`)
  t.same(problems([...files, usage]), [], 'the generated types check against the calls and the documented example')

  // Typed by hand: the generated module does not exist before the test runs (and is not type-checked with the project).
  const { client: make } = await import(new URL('client-openapi.ts', DIR).href) as {
    client: (baseUrl: string, app: typeof TEST_APP) => GeneratedClient
  }
  const server = await startServer(t)
  const sub = await subscriber(t, server, ['generated'])
  const api = make(`http://127.0.0.1:${server.port}`, TEST_APP)
  t.same(await api.trigger('generated', 'from-sdk', '{"ok":true}'), { status: 200, counts: 1, code: undefined },
    'a signed body; the channel map typed down to subscription_count')
  t.same(await delivered(sub), [{ event: 'from-sdk', channel: 'generated', data: '{"ok":true}' }])
  t.same(await api.channels(), { status: 200, counts: { generated: 1 }, code: undefined })
  t.same(await api.channel('generated'), { status: 200, counts: 1, code: undefined }, 'a signed GET with a query')
  t.same(await api.terminate('nobody'), { status: 200, counts: undefined, code: undefined }, 'a POST without a body')
  t.same(await api.channel('not valid!'), { status: 400, counts: undefined, code: 'FST_BROADCASTT_INVALID_REQUEST' },
    'errors are typed with the Error schema')
})
