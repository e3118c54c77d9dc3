/**
 * Messages for requests that fail their route schema. A union body (`POST /events` takes one event, a
 * `{batch}` object or an array) fails every branch at once; the message keeps only the errors of the
 * branch the body was meant for, judged by its shape, so it says what was wrong rather than listing every
 * alternative.
 */
import type { FastifySchemaValidationError } from 'fastify/types/schema.js'

type Shape = 'array' | 'batch' | 'event'

const rootTypeError = (e: FastifySchemaValidationError, message: string): boolean =>
  e.keyword === 'type' && e.instancePath === '' && e.message === message

/** The shape of a body that failed every branch of a union, read off the errors. */
function shapeOf (errors: readonly FastifySchemaValidationError[]): Shape {
  if (errors.some((e) => rootTypeError(e, 'must be object'))) return 'array'
  if (errors.some((e) => e.instancePath.startsWith('/batch'))) return 'batch'
  return 'event'
}

function belongs (shape: Shape, e: FastifySchemaValidationError): boolean {
  if (e.keyword === 'anyOf') return false
  if (shape === 'array') return e.instancePath !== ''
  if (shape === 'batch') return e.instancePath.startsWith('/batch')
  const missing = (e.params as { missingProperty?: unknown }).missingProperty
  return !rootTypeError(e, 'must be array') && missing !== 'batch'
}

export function formatSchemaErrors (errors: FastifySchemaValidationError[], dataVar: string): Error {
  let shown = errors
  if (errors.some((e) => e.keyword === 'anyOf' && e.instancePath === '')) {
    const shape = shapeOf(errors)
    const kept = errors.filter((e) => belongs(shape, e))
    if (kept.length > 0) shown = kept
  }
  return new Error(shown.map((e) => `${dataVar}${e.instancePath} ${e.message ?? 'is invalid'}`).join('; '))
}
