/**
 * `GET {prefix}/openapi.json` (the OpenAPI 3.1 document), `GET {prefix}/openapi-3.0.json` (its 3.0.3
 * rendering, for generators whose 3.1 support lags) and `GET {prefix}/docs` (an API reference page rendered
 * by Swagger UI from the `swagger-ui-dist` package: no CDN, every asset is served from node_modules). Neither
 * is signed, and neither appears in the document. "Try it out" is off: requests must be signed.
 */
import { createReadStream } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { FastifyInstance } from 'fastify'

const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8'
}

/** Starts Swagger UI on the page's `#swagger-ui` element; a file, not inline, so a strict CSP can allow it. */
const INIT_JS = `window.addEventListener('load', function () {
  var root = document.getElementById('swagger-ui')
  window.ui = SwaggerUIBundle({
    url: root.getAttribute('data-url'), dom_id: '#swagger-ui', validatorUrl: null,
    supportedSubmitMethods: [], deepLinking: true
  })
})
`

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function page (base: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>fastify-broadcastt REST API</title>
  <link rel="stylesheet" href="${escapeHtml(base)}/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-url="${escapeHtml(base)}/openapi.json"></div>
  <script src="${escapeHtml(base)}/docs/swagger-ui-bundle.js"></script>
  <script src="${escapeHtml(base)}/docs/init.js"></script>
</body>
</html>
`
}

export interface DocsOptions {
  /** Serve the document. */
  openapi: boolean
  /** Serve the reference page (it reads the document, so it implies `openapi`). */
  docs: boolean
  /** The 3.1 document and its 3.0 rendering, built on first use (after every route is registered). */
  documents: () => { v31: unknown, v30: unknown }
}

/** Registers the document and page routes on a scope whose prefix is the plugin's `prefix`. */
export function registerDocsRoutes (scope: FastifyInstance, options: DocsOptions): void {
  if (!options.openapi && !options.docs) return
  scope.get('/openapi.json', async () => options.documents().v31)
  scope.get('/openapi-3.0.json', async () => options.documents().v30)
  if (!options.docs) return
  const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
  scope.get('/docs', async (request, reply) => {
    const base = request.routeOptions.url?.replace(/\/docs$/, '') ?? ''
    return await reply.type('text/html; charset=utf-8').send(page(base))
  })
  scope.get('/docs/init.js', async (_request, reply) =>
    await reply.type('text/javascript; charset=utf-8').send(INIT_JS))
  for (const [file, type] of Object.entries(ASSETS)) {
    scope.get(`/docs/${file}`, async (_request, reply) =>
      await reply.type(type).header('cache-control', 'public, max-age=86400').send(createReadStream(join(dist, file))))
  }
}
