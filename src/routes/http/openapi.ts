/**
 * The OpenAPI 3.1 document, built from the REST routes' own TypeBox schemas as Fastify registers them (an
 * `onRoute` hook collects them). OpenAPI 3.1 schemas are JSON Schema 2020-12, so the route schemas go in as
 * they are: every schema with an `$id` becomes `components.schemas[$id]` and `$ref: "X"` becomes
 * `#/components/schemas/X`. `npm run openapi` writes the document to `openapi/openapi.json`.
 */
import { readFileSync } from 'node:fs'
import { STATUS_CODES } from 'node:http'
import type { RouteOptions } from 'fastify'

type Json = Record<string, unknown>

/** What the document needs of a route. */
export interface CollectedRoute {
  method: string
  url: string
  schema: Json
}

/** Collects the routes of a scope into `routes` (HEAD routes Fastify adds for GET routes are left out). */
export function collectRoute (routes: CollectedRoute[], route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method]
  for (const method of methods) {
    if (method === 'HEAD' || route.schema === undefined) continue
    routes.push({ method: method.toLowerCase(), url: route.url, schema: route.schema as Json })
  }
}

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version

const SIGNING_RECIPE = [
  'Every request is signed. Query parameters: `auth_key` (the app key), `auth_timestamp`',
  '(Unix seconds, within 600 s of the server clock), `auth_version=1.0`, `body_md5` (hex MD5 of the raw body,',
  'required with a body) and `auth_signature`: the hex HMAC-SHA256, keyed with the app secret, of',
  '`METHOD\\nPATH\\nQUERY`, where PATH is the request path as sent and QUERY is every other query parameter,',
  'keys lower-cased and sorted, joined as `k=v` with `&`, values not URL-escaped (repeated keys joined with `,`).'
].join(' ')

/** JSON copy of a TypeBox schema (drops its symbol keys) with `$ref`s pointing into `components.schemas`. */
function plain (schema: unknown, components: Json): unknown {
  if (Array.isArray(schema)) return schema.map((item) => plain(item, components))
  if (typeof schema !== 'object' || schema === null) return schema
  const out: Json = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string' && !value.startsWith('#')) out.$ref = `#/components/schemas/${value}`
    else if (key === 'examples' || key === 'default' || key === 'const' || key === 'enum') out[key] = value
    else out[key] = plain(value, components)
  }
  if (typeof out.$id === 'string') {
    // A hoisted schema loses its `$id`: inside components it would change the base URI of nested `$ref`s.
    const { $id, ...body } = out
    components[$id] ??= body
    return { $ref: `#/components/schemas/${$id}` }
  }
  return out
}

/** Path, query and header parameters from an object schema. */
function parameters (schema: unknown, where: 'path' | 'query', components: Json): Json[] {
  if (schema === undefined) return []
  const object = schema as { properties?: Record<string, Json>, required?: string[] }
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, examples, ...rest } = plain(property, components) as Json
    return {
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      ...(description === undefined ? {} : { description }),
      schema: rest,
      ...(Array.isArray(examples) && examples.length > 0 ? { example: examples[0] } : {})
    }
  })
}

function operation (route: CollectedRoute, components: Json): Json {
  const { schema } = route
  const out: Json = {}
  for (const key of ['operationId', 'summary', 'description', 'tags']) {
    if (schema[key] !== undefined) out[key] = schema[key]
  }
  const params = [...parameters(schema.params, 'path', components), ...parameters(schema.querystring, 'query', components)]
  if (params.length > 0) out.parameters = params
  if (schema.body !== undefined) {
    // A body whose every field is optional may be left out (the server reads no body as `{}`).
    const { type, required } = schema.body as { type?: unknown, required?: unknown[] }
    const optional = type === 'object' && (required === undefined || required.length === 0)
    out.requestBody = { required: !optional, content: { 'application/json': { schema: plain(schema.body, components) } } }
  }
  const responses: Json = {}
  for (const [status, response] of Object.entries((schema.response ?? {}) as Json)) {
    const description = status === '200' ? 'OK' : `${STATUS_CODES[Number(status)] ?? status}: see \`message\``
    responses[status] = { description, content: { 'application/json': { schema: plain(response, components) } } }
  }
  out.responses = responses
  return out
}

/** The OpenAPI 3.1 document of `routes`, with the shared schemas as components. */
export function openApiDocument (routes: readonly CollectedRoute[], shared: readonly unknown[]): Json {
  const components: Json = {}
  for (const schema of shared) plain(schema, components)
  const paths: Record<string, Json> = {}
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
    paths[path] ??= {}
    ;(paths[path] as Json)[route.method] = operation(route, components)
  }
  const sorted = Object.fromEntries(Object.keys(components).sort().map((key) => [key, components[key]]))
  return {
    openapi: '3.1.0',
    info: {
      title: 'fastify-broadcastt REST API',
      version: VERSION,
      description: 'Publish events to channels and query channels of a Broadcastt / Pusher-compatible server. ' +
        SIGNING_RECIPE,
      license: { name: 'MIT', identifier: 'MIT' }
    },
    tags: [
      { name: 'events', description: 'Trigger events' },
      { name: 'channels', description: 'Query channels' },
      { name: 'users', description: 'Act on signed-in users' }
    ],
    security: [{ authKey: [], authSignature: [] }],
    paths,
    components: {
      schemas: sorted,
      securitySchemes: {
        authKey: { type: 'apiKey', in: 'query', name: 'auth_key', description: 'The app key. ' + SIGNING_RECIPE },
        authSignature: {
          type: 'apiKey', in: 'query', name: 'auth_signature', description: 'The request signature. ' + SIGNING_RECIPE
        }
      }
    }
  }
}
