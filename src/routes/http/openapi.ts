/**
 * The OpenAPI 3.1 document, built from the REST routes' own TypeBox schemas as Fastify registers them (an
 * `onRoute` hook collects them). OpenAPI 3.1 schemas are JSON Schema 2020-12, so the route schemas go in as
 * they are: every schema with an `$id` becomes `components.schemas[$id]` and `$ref: "X"` becomes
 * `#/components/schemas/X`. The signing parameters, which the query schemas hold for validation, are no
 * operation's parameters: a caller cannot fill them, a request hook computes them from the finished request.
 * They are described once, by the `appKey` security scheme and the `x-request-signing` extension.
 * `npm run openapi` writes the document to `openapi/openapi.json` (and its 3.0 rendering, `openapi-30.ts`).
 */
import { readFileSync } from 'node:fs'
import type { RouteOptions } from 'fastify'
import { openApi30 } from './openapi-30.js'
import { SIGNING } from './schemas.js'

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
  'Every request is signed by a request hook that runs on the finished request (after the body is serialized)',
  'and sets the query parameters `auth_key` (the app key), `auth_timestamp` (Unix seconds, within 600 s of the',
  'server clock), `auth_version=1.0`, `body_md5` (hex MD5 of the body as sent, only with a non-empty body) and',
  'last `auth_signature`: the hex HMAC-SHA256, keyed with the app secret, of `METHOD\\nPATH\\nQUERY`, where PATH',
  'is the request path as sent and QUERY every other query parameter, keys lower-cased and sorted, joined as',
  '`k=v` with `&`, values not URL-escaped (a repeated key\'s values joined with `,`). `x-request-signing` lists',
  'the parameters; docs/rest-api.md of fastify-broadcastt shows the hook for TypeScript, Python and PHP clients.'
].join(' ')

/** A server's address: the paths carry the plugin's prefix, so the URL is the origin alone. */
const SERVERS = [{
  url: '{scheme}://{host}:{port}',
  description: 'A fastify-broadcastt server (the standalone server listens on port 6001 by default)',
  variables: {
    scheme: { enum: ['http', 'https'], default: 'http' },
    host: { default: '127.0.0.1', description: 'The server\'s host name or address' },
    port: { default: '6001' }
  }
}]

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

/** One parameter object: the schema's description and first example move up to the parameter. */
function parameter (name: string, where: 'path' | 'query', required: boolean, property: unknown, components: Json): Json {
  const { description, examples, ...rest } = plain(property, components) as Json
  return {
    name,
    in: where,
    required,
    ...(description === undefined ? {} : { description }),
    schema: rest,
    ...(Array.isArray(examples) && examples.length > 0 ? { example: examples[0] } : {})
  }
}

/** Path and query parameters from an object schema, without the signing parameters. */
function parameters (schema: unknown, where: 'path' | 'query', components: Json): Json[] {
  if (schema === undefined) return []
  const object = schema as { properties: Record<string, Json>, required?: string[] }
  return Object.entries(object.properties).filter(([name]) => !Object.hasOwn(SIGNING, name)).map(([name, property]) =>
    parameter(name, where, where === 'path' || (object.required ?? []).includes(name), property, components))
}

/** The signing parameters as query parameter objects (`x-request-signing`); all but `body_md5` always. */
function signingParameters (components: Json): Json[] {
  return Object.entries(SIGNING).map(([name, property]) =>
    parameter(name, 'query', name !== 'body_md5', property, components))
}

/** A response: a description (an error schema's own, next to its `$ref`) and the JSON schema. */
function response (status: string, schema: unknown, components: Json): Json {
  const { description, ...body } = plain(schema, components) as Json
  return {
    description: status === '200' ? 'OK' : description,
    content: { 'application/json': { schema: body } }
  }
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
  for (const [status, entry] of Object.entries(schema.response as Json)) {
    responses[status] = response(status, entry, components)
  }
  out.responses = responses
  return out
}

/** The OpenAPI 3.1 document of `routes`, with the shared schemas as components. */
export function openApiDocument (routes: readonly CollectedRoute[], shared: readonly unknown[]): Json {
  const components: Json = {}
  for (const schema of shared) plain(schema, components)
  const signing = signingParameters(components)
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
    servers: SERVERS,
    tags: [
      { name: 'events', description: 'Trigger events' },
      { name: 'channels', description: 'Query channels' },
      { name: 'users', description: 'Act on signed-in users' }
    ],
    security: [{ appKey: [] }],
    paths,
    components: {
      schemas: sorted,
      securitySchemes: {
        appKey: {
          type: 'apiKey',
          in: 'query',
          name: 'auth_key',
          description: 'The app key, which alone authorizes nothing. ' + SIGNING_RECIPE
        }
      }
    },
    'x-request-signing': {
      description: SIGNING_RECIPE,
      algorithm: 'HMAC-SHA256',
      stringToSign: 'METHOD\nPATH\nQUERY',
      parameters: signing
    }
  }
}

/** The 3.1 document and its 3.0.3 rendering. */
export interface OpenApiDocuments { v31: Json, v30: Json }

export function openApiDocuments (routes: readonly CollectedRoute[], shared: readonly unknown[]): OpenApiDocuments {
  const v31 = openApiDocument(routes, shared)
  return { v31, v30: openApi30(v31) }
}
