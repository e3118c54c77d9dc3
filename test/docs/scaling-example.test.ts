/**
 * docs/scaling.md's "Your own adapter" example compiles against the package root's exports (the import of
 * `fastify-broadcastt` is pointed at src/index.ts), and runs: the adapter counts what the node publishes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import t from 'tap'
import ts from 'typescript'

const DOC = readFileSync(new URL('../../docs/scaling.md', import.meta.url), 'utf8')
const DIR = new URL('../.generated/scaling/', import.meta.url)
const INDEX = new URL('../../src/index.js', import.meta.url).pathname

const blocks = [...DOC.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')

t.test('the custom adapter example compiles and runs', async (t) => {
  t.equal(blocks.length, 1, 'docs/scaling.md shows one TypeScript example')
  const source = (blocks[0] ?? '').replace("from 'fastify-broadcastt'", `from '${INDEX}'`)
  t.not(source, blocks[0], 'the example imports from the package root')
  mkdirSync(DIR, { recursive: true })
  const file = new URL('example.ts', DIR)
  // Run: the example's server gets a channel event through the wrapped adapter, then closes.
  writeFileSync(file, `${source}
await fastify.ready()
await fastify.broadcastt.trigger({ appId: 'app-id', channels: ['c'], name: 'e', data: '{}' })
export const published = adapter.published
await fastify.close()
`)
  const program = ts.createProgram([file.pathname], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true
  })
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
  t.same(problems, [], 'no type errors')
  const { published } = await import(file.href) as { published: number }
  t.equal(published, 1, 'the trigger went through the wrapped publish')
})
