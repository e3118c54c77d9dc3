/**
 * Which coded errors (src/errors.ts) each kind of REST route answers: the one place the route schemas'
 * error responses, the OpenAPI document's statuses and the `Error.code` enum come from. A route that can
 * give a new refusal names its error class here, and the document follows.
 */
import {
  AppDisabledError, BodyTooLargeError, ClusterUnavailableError, EventTooLargeError, InternalError, InvalidEventError,
  InvalidJsonError, InvalidRequestError, RateLimitedError, RouteNotFoundError, ShuttingDownError, UnauthorizedError,
  UnknownAppError
} from '../../errors.js'

/** An error class of src/errors.ts. */
export type ErrorClass = new () => { code: string, statusCode?: number }

/** What an error class answers: its HTTP status and its code. */
export function refusalOf (ErrorClass: ErrorClass): { status: number, code: string } {
  const error = new ErrorClass()
  return { status: error.statusCode ?? 500, code: error.code }
}

/** Every signed request: the gate (verify-signature.ts), the route's schemas, and failures (500). */
const GATE: readonly ErrorClass[] = [
  ShuttingDownError, UnknownAppError, AppDisabledError, UnauthorizedError, InvalidRequestError, InternalError
]

/** Channel and user queries (GET): the read rate and the cluster state. */
export const READ_REFUSALS: readonly ErrorClass[] = [...GATE, RateLimitedError, ClusterUnavailableError]

/** Requests with a body: parsed as JSON, limited by `rest.bodyLimit`. */
export const BODY_REFUSALS: readonly ErrorClass[] = [...GATE, InvalidJsonError, BodyTooLargeError]

/** Triggers: the event rules, the backend event rate, and `info` read from the cluster state. */
export const TRIGGER_REFUSALS: readonly ErrorClass[] = [
  ...BODY_REFUSALS, InvalidEventError, EventTooLargeError, RateLimitedError, ClusterUnavailableError
]

/** Every refusal of the REST API, including a path under `/apps/{app_id}` that is no route. */
export const REST_ERRORS: readonly ErrorClass[] = [
  ...new Set([...TRIGGER_REFUSALS, ...READ_REFUSALS, RouteNotFoundError])
]

/** The codes of {@link REST_ERRORS}, the values of `Error.code`. */
export const REST_ERROR_CODES: readonly string[] = REST_ERRORS.map((E) => refusalOf(E).code)
