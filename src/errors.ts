/**
 * Coded errors of the plugin and of the REST API, declared once (`@fastify/error`), grouped by concern.
 * Wire (WebSocket) error codes live in `protocol/wire-errors.ts`.
 */
import createError from '@fastify/error'

// Plugin registration
export const InvalidOptionsError = createError('FST_BROADCASTT_INVALID_OPTIONS', '%s')

// Programmatic API (`fastify.broadcastt`); the status codes are those the REST API answers with.
export const UnknownAppError = createError('FST_BROADCASTT_UNKNOWN_APP', 'App %s does not exist', 404)
export const InvalidEventError = createError('FST_BROADCASTT_INVALID_EVENT', '%s', 400)
export const EventTooLargeError = createError('FST_BROADCASTT_EVENT_TOO_LARGE', '%s', 413)
