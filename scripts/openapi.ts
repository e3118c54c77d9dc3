/**
 * `npm run openapi`: writes `openapi/openapi.json` from the REST routes' schemas, exactly as a running server
 * serves it at `GET /openapi.json` (the plugin, no prefix). `test/openapi/document.test.ts` fails when the
 * committed file differs from what this produces.
 */
import { writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import broadcastt from '../src/index.js'

export const OPENAPI_FILE = new URL('../openapi/openapi.json', import.meta.url)

/** The document as the committed file holds it: pretty-printed JSON and a final newline. */
export async function generateOpenApi (): Promise<string> {
  const app = Fastify({ logger: false })
  await app.register(broadcastt, { apps: [{ id: 'app-id', key: 'app-key', secret: 'app-secret' }] })
  try {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' })
    if (response.statusCode !== 200) throw new Error(`GET /openapi.json answered ${response.statusCode}`)
    return JSON.stringify(response.json(), null, 2) + '\n'
  } finally {
    await app.close()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(OPENAPI_FILE, await generateOpenApi())
  process.stdout.write(`wrote ${OPENAPI_FILE.pathname}\n`)
}
