/**
 * `npm run openapi`: writes `openapi/openapi.json` (OpenAPI 3.1) and `openapi/openapi-3.0.json` (its 3.0.3
 * rendering) from the REST routes' schemas, exactly as a running server serves them at `GET /openapi.json`
 * and `GET /openapi-3.0.json` (the plugin, no prefix). `test/openapi/document.test.ts` fails when a
 * committed file differs from what this produces.
 */
import { writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import broadcastt from '../src/index.js'

export const OPENAPI_FILE = new URL('../openapi/openapi.json', import.meta.url)
export const OPENAPI_30_FILE = new URL('../openapi/openapi-3.0.json', import.meta.url)

/** The two documents as the committed files hold them: pretty-printed JSON and a final newline. */
export async function generateOpenApi (): Promise<{ v31: string, v30: string }> {
  const app = Fastify({ logger: false })
  await app.register(broadcastt, { apps: [{ id: 'app-id', key: 'app-key', secret: 'app-secret' }], rest: { openapi: true } })
  try {
    const get = async (url: string): Promise<string> => {
      const response = await app.inject({ method: 'GET', url })
      if (response.statusCode !== 200) throw new Error(`GET ${url} answered ${response.statusCode}`)
      return JSON.stringify(response.json(), null, 2) + '\n'
    }
    return { v31: await get('/openapi.json'), v30: await get('/openapi-3.0.json') }
  } finally {
    await app.close()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const documents = await generateOpenApi()
  writeFileSync(OPENAPI_FILE, documents.v31)
  writeFileSync(OPENAPI_30_FILE, documents.v30)
  process.stdout.write(`wrote ${OPENAPI_FILE.pathname} and ${OPENAPI_30_FILE.pathname}\n`)
}
