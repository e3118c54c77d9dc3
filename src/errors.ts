/**
 * Coded errors of the plugin and of the REST API, declared once (`@fastify/error`), grouped by concern.
 * Wire (WebSocket) error codes live in `protocol/wire-errors.ts`.
 */
import createError from '@fastify/error'

// Plugin registration
export const InvalidOptionsError = createError('FST_BROADCASTT_INVALID_OPTIONS', '%s')
/** The debug console is enabled but its front end was not built (`npm run build` makes dist/console-ui/). */
export const ConsoleNotBuiltError = createError('FST_BROADCASTT_CONSOLE_NOT_BUILT', '%s')
/** A host-registered @fastify/websocket accepts frames larger than any app's `frameBytes`. */
export const WebsocketPayloadError = createError('FST_BROADCASTT_WS_MAX_PAYLOAD', '%s')
/** The PostgreSQL app store cannot be reached (or its table created) at start. */
export const AppStoreUnavailableError = createError('FST_BROADCASTT_APP_STORE_UNAVAILABLE', 'PostgreSQL app store unavailable: %s')

// Programmatic API (`fastify.broadcastt`); the status codes are those the REST API answers with.
export const UnknownAppError = createError('FST_BROADCASTT_UNKNOWN_APP', 'App %s does not exist', 404)
export const InvalidEventError = createError('FST_BROADCASTT_INVALID_EVENT', '%s', 400)
export const EventTooLargeError = createError('FST_BROADCASTT_EVENT_TOO_LARGE', '%s', 413)
export const MetricsDisabledError = createError('FST_BROADCASTT_METRICS_DISABLED', 'Metrics are off; register the plugin with metrics: { enabled: true }')

// REST API (routes/http): every refusal of the signed HTTP API, answered as
// `{"statusCode","code","error","message"}`. The programmatic API's codes above are reused for events.
// A refusal is an answer, not a fault: it is never logged with a stack, so none is captured (a flood of
// unsigned requests would otherwise pay for a stack trace per request).
const refusal = (code: string, message: string, statusCode: number) => createError(code, message, statusCode, Error, false)
export const InvalidRequestError = refusal('FST_BROADCASTT_INVALID_REQUEST', '%s', 400)
export const InvalidJsonError = refusal('FST_BROADCASTT_INVALID_JSON', 'Request body is not valid JSON: %s', 400)
export const UnauthorizedError = refusal('FST_BROADCASTT_UNAUTHORIZED', '%s', 401)
export const AppDisabledError = refusal('FST_BROADCASTT_APP_DISABLED', 'App %s is disabled', 403)
export const RouteNotFoundError = refusal('FST_BROADCASTT_NOT_FOUND', 'Route %s %s not found', 404)
export const BodyTooLargeError = refusal('FST_BROADCASTT_BODY_TOO_LARGE', 'Request body is larger than %s bytes', 413)
export const RateLimitedError = refusal('FST_BROADCASTT_RATE_LIMITED', '%s', 429)
/** The standalone server's answer to a request target longer than it serves (src/cli/server.ts). */
export const UriTooLongError = refusal('FST_BROADCASTT_URI_TOO_LONG', 'The request target is %s bytes; the limit is %s', 414)
export const ShuttingDownError = refusal('FST_BROADCASTT_SHUTTING_DOWN', 'The server is shutting down; retry on another node', 503)
/** A cluster-wide query or presence join while the Redis adapter cannot reach Redis (docs/scaling.md). */
export const ClusterUnavailableError = createError('FST_BROADCASTT_CLUSTER_UNAVAILABLE',
  'The cluster state (Redis) is unreachable; retry shortly', 503)
/** Any other failure of a REST request (an adapter that did not answer in time, a bug); the server logs it. */
export const InternalError = createError('FST_BROADCASTT_INTERNAL', '%s', 500)

// In-process authorization (`authorize` option, `fastify.broadcastt.authorizeChannel` / `authenticateUser`).
// Malformed requests use FST_BROADCASTT_INVALID_REQUEST (400).
export const AuthorizationDeniedError = createError('FST_BROADCASTT_AUTHORIZATION_DENIED', '%s', 403)
export const InvalidAuthorizationError = createError('FST_BROADCASTT_INVALID_AUTHORIZATION', '%s', 500)
export const EncryptionKeyMissingError = createError('FST_BROADCASTT_NO_ENCRYPTION_KEY',
  'App %s has no encryptionMasterKey, so encrypted channels cannot be authorized', 500)
