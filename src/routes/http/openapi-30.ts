/**
 * The OpenAPI 3.0.3 rendering of the 3.1 document, for generators whose 3.1 support lags (openapi-generator's
 * python and php, among others). Same content; only what 3.0 spells differently changes: a schema's
 * `examples` list becomes its first `example`, and the license keeps its name without the SPDX
 * `identifier`. Example values are copied as they are. `test/openapi/` validates both documents and checks
 * that they say the same.
 */

type Json = Record<string, unknown>

/** Keys whose value is data, not a schema: copied as is. */
const DATA = new Set(['example', 'default', 'enum', 'const'])

function render (node: unknown): unknown {
  if (Array.isArray(node)) return node.map(render)
  if (typeof node !== 'object' || node === null) return node
  const out: Json = {}
  for (const [key, value] of Object.entries(node)) {
    // A 3.0 document's `examples` are maps (media types, parameters); a list can only be a schema's.
    if (key === 'examples' && Array.isArray(value)) out.example = value[0]
    else out[key] = DATA.has(key) ? value : render(value)
  }
  return out
}

/** The 3.0.3 rendering of `document` (an OpenAPI 3.1 document of `openapi.ts`). */
export function openApi30 (document: Json): Json {
  const { openapi: _version, info, ...rest } = render(document) as Json & { info: Json & { license: Json } }
  const { identifier: _spdx, ...license } = info.license
  return { openapi: '3.0.3', info: { ...info, license }, ...rest }
}
