/**
 * TypeBox schemas of the REST API (PROTOCOL.md §9–§10). Every route schema has an `$id`; shared shapes are
 * added once to the REST scope (`SHARED_SCHEMAS`) and referenced with `ref()`, so the OpenAPI document gets
 * them as `components.schemas`. Every object a body or an answer holds is such a named shape (generated SDKs
 * name inline objects themselves), maps are `additionalProperties` objects, and patterns use plain
 * character classes, which every generator's regex dialect reads alike. Limits that are per-app
 * configuration (channels per event, name length, data size, events per batch) are checked by
 * `hub/trigger.ts`, not here.
 */
import { STATUS_CODES } from 'node:http'
import { Type, type Static, type TOptional, type TSchema, type TString, type TUnsafe } from '@sinclair/typebox'
import type { SigningParameter } from '../../auth/request-signature.js'
import { REST_ERROR_CODES, refusalOf, type ErrorClass } from './refusals.js'

/** A `$ref` to a shared schema, typed as the schema it points to. */
export function ref<T extends TSchema> (schema: T): TUnsafe<Static<T>> {
  if (schema.$id === undefined) throw new Error('ref() needs a schema with an $id')
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id))
}

// ── Shared components ────────────────────────────────────────────────────────────────────────────────────

export const ErrorResponse = Type.Object({
  statusCode: Type.Integer({ description: 'The HTTP status', examples: [400] }),
  code: Type.Optional(Type.Unsafe<string>({
    type: 'string',
    enum: REST_ERROR_CODES,
    description: 'Stable error code. Absent only from the plain 503 Fastify answers itself while a host server ' +
      'closes (the standalone server drains instead)',
    examples: ['FST_BROADCASTT_INVALID_EVENT']
  })),
  error: Type.String({ description: 'The HTTP status text', examples: ['Bad Request'] }),
  message: Type.String({ description: 'What was wrong', examples: ['An event may name at most 100 channels'] })
}, { $id: 'Error', description: 'Every error answer has this shape' })

const SOCKET_ID = Type.String({
  pattern: '^[0-9]+\\.[0-9]+$',
  description: 'This connection does not receive the event (usually its sender)',
  examples: ['1234.1234']
})
const EVENT_NAME = Type.String({ minLength: 1, description: 'Event name (≤ 200 characters by default)', examples: ['my-event'] })
const EVENT_DATA = Type.Unknown({
  description: 'Event data: a string (usually JSON) delivered as is; any other JSON value is serialized. ' +
    '≤ 10 KB by default (413 above).',
  examples: ['{"message":"hello"}']
})
const TRIGGER_INFO = Type.String({
  description: 'Comma-separated channel attributes to return: `subscription_count`, `user_count` (presence ' +
    'channels only)',
  examples: ['subscription_count']
})

export const TriggerEvent = Type.Object({
  name: EVENT_NAME,
  data: EVENT_DATA,
  channels: Type.Optional(Type.Array(Type.String(), {
    minItems: 1, description: 'Channels to publish on (1–100 by default)', examples: [['my-channel']]
  })),
  channel: Type.Optional(Type.String({ description: 'One channel, instead of `channels`', examples: ['my-channel'] })),
  socket_id: Type.Optional(SOCKET_ID),
  info: Type.Optional(TRIGGER_INFO)
}, {
  $id: 'TriggerEvent',
  description: 'One event, for `channels` or for one `channel` (exactly one of the two)',
  examples: [{ name: 'my-event', channels: ['my-channel'], data: '{"message":"hello"}' }]
})

export const BatchEvent = Type.Object({
  name: EVENT_NAME,
  data: EVENT_DATA,
  channel: Type.String({ description: 'The channel to publish on', examples: ['my-channel'] }),
  socket_id: Type.Optional(SOCKET_ID),
  info: Type.Optional(TRIGGER_INFO)
}, {
  $id: 'BatchEvent',
  description: 'One event of a batch, for one channel',
  examples: [{ name: 'my-event', channel: 'my-channel', data: '{"message":"hello"}' }]
})

export const ChannelAttributes = Type.Object({
  subscription_count: Type.Optional(Type.Integer({ minimum: 0, description: 'Connections subscribed, cluster-wide' })),
  user_count: Type.Optional(Type.Integer({ minimum: 0, description: 'Distinct users of a presence channel' }))
}, { $id: 'ChannelAttributes', description: 'The attributes asked for with `info`', examples: [{ subscription_count: 3 }] })

/** Channel name → its attributes (`additionalProperties`, which generators type as a map of the model). */
export const ChannelAttributesMap = Type.Unsafe<Record<string, ChannelAttributes>>({
  $id: 'ChannelAttributesMap',
  type: 'object',
  additionalProperties: ref(ChannelAttributes),
  description: 'The attributes of each channel, by channel name',
  examples: [{ 'presence-room': { user_count: 2, subscription_count: 3 } }]
})

export const ChannelCache = Type.Object({
  data: Type.String({ description: 'The cached event data' }),
  ttl: Type.Integer({ minimum: 0, description: 'Seconds the event stays cached' })
}, { $id: 'ChannelCache', description: 'A cache channel\'s last event', examples: [{ data: '{"price":3}', ttl: 1740 }] })

export const ChannelUser = Type.Object({
  id: Type.String({ description: 'The user id given at sign-in' })
}, { $id: 'ChannelUser', description: 'A user of a presence channel', examples: [{ id: '7' }] })

export const BatchEventsBody = Type.Object({
  batch: Type.Array(ref(BatchEvent), { minItems: 1, description: 'At most 10 events by default' })
}, {
  $id: 'BatchEventsBody',
  description: 'A batch of events, each for one channel',
  examples: [{ batch: [{ name: 'my-event', channel: 'my-channel', data: '{"message":"hello"}' }] }]
})

export const SHARED_SCHEMAS: readonly TSchema[] = [
  ErrorResponse, TriggerEvent, BatchEvent, BatchEventsBody, ChannelAttributes, ChannelAttributesMap, ChannelCache,
  ChannelUser
]

// ── Parameters ───────────────────────────────────────────────────────────────────────────────────────────

const APP_ID = Type.String({ description: 'The app id', examples: ['app-id'] })

export const AppParams = Type.Object({ app_id: APP_ID }, { $id: 'AppParams' })
export const ChannelParams = Type.Object({
  app_id: APP_ID,
  channel_name: Type.String({ description: 'The channel name (URL-encoded)', examples: ['presence-room'] })
}, { $id: 'ChannelParams' })
export const UserParams = Type.Object({
  app_id: APP_ID,
  user_id: Type.String({ description: 'The user id given at sign-in', examples: ['7'] })
}, { $id: 'UserParams' })

/**
 * The signing parameters of PROTOCOL.md §10, described once. Every route's query schema holds them, so
 * Fastify validates them too (optional there: the signature hook checks them first, 401 rather than 400).
 * The OpenAPI document lifts them out of the operations, since a caller cannot fill them per call: a request
 * hook computes them from the finished request (see `openapi.ts`).
 */
export const SIGNING: Readonly<Record<SigningParameter, TOptional<TString>>> = {
  auth_key: Type.Optional(Type.String({ minLength: 1, description: 'The app key', examples: ['app-key'] })),
  auth_timestamp: Type.Optional(Type.String({
    pattern: '^[0-9]+$', description: 'Unix time in seconds; within 600 s of the server clock', examples: ['1353088179']
  })),
  auth_version: Type.Optional(Type.String({ description: 'Always `1.0`', examples: ['1.0'] })),
  body_md5: Type.Optional(Type.String({
    pattern: '^[0-9a-fA-F]{32}$',
    description: 'Hex MD5 of the request body as sent; only (and always) with a non-empty body',
    examples: ['ec365a775a4cd0599faeb73354201b6f']
  })),
  auth_signature: Type.Optional(Type.String({
    pattern: '^[0-9a-fA-F]{64}$',
    description: 'Hex HMAC-SHA256 of `METHOD\\nPATH\\nQUERY`, keyed with the app secret',
    examples: ['da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c']
  }))
}

export const SignedQuery = Type.Object({ ...SIGNING }, { $id: 'SignedQuery' })

export const ChannelsQuery = Type.Object({
  ...SIGNING,
  filter_by_prefix: Type.Optional(Type.String({ description: 'Only channels whose name starts with this', examples: ['presence-'] })),
  info: Type.Optional(Type.String({
    description: 'Comma-separated attributes: `subscription_count`, `user_count` (only with a `presence-` prefix filter)',
    examples: ['subscription_count']
  }))
}, { $id: 'ChannelsQuery' })

export const ChannelQuery = Type.Object({
  ...SIGNING,
  info: Type.Optional(Type.String({
    description: 'Comma-separated attributes: `subscription_count`, `user_count` (presence channels), `cache` (cache channels)',
    examples: ['subscription_count,user_count']
  }))
}, { $id: 'ChannelQuery' })

// ── Bodies ───────────────────────────────────────────────────────────────────────────────────────────────

export const EventsBody = Type.Union([
  ref(TriggerEvent),
  ref(BatchEventsBody),
  Type.Array(ref(BatchEvent), { minItems: 1, description: 'A bare array of events, at most 10 by default' })
], {
  $id: 'EventsBody',
  description: 'One event, `{"batch": [...]}`, or a bare array of events',
  examples: [{ name: 'my-event', channels: ['my-channel'], data: '{"message":"hello"}' }]
})

export const TerminateBody = Type.Object({}, { $id: 'TerminateBody', description: 'Ignored; the SDKs send `{}`' })

// ── Responses ────────────────────────────────────────────────────────────────────────────────────────────

export const TriggerResponse = Type.Object({
  channels: Type.Optional(ref(ChannelAttributesMap)),
  batch: Type.Optional(Type.Array(ref(ChannelAttributes), {
    description: 'A batch with `info` on any event: one entry per event, index-aligned ({} without `info`)'
  }))
}, {
  $id: 'TriggerResponse',
  description: '`{}`, or the attributes asked for with `info`: `channels` for one event, `batch` for a batch',
  examples: [{}, { channels: { 'presence-room': { user_count: 2, subscription_count: 3 } } }]
})

export const ChannelsResponse = Type.Object({
  channels: ref(ChannelAttributesMap)
}, {
  $id: 'ChannelsResponse',
  description: 'The occupied channels only, with the attributes asked for with `info`',
  examples: [{ channels: { 'presence-room': { user_count: 2 } } }]
})

export const ChannelResponse = Type.Object({
  occupied: Type.Boolean({ description: 'At least one connection is subscribed' }),
  subscription_count: Type.Optional(Type.Integer({ minimum: 0 })),
  user_count: Type.Optional(Type.Integer({ minimum: 0 })),
  cache: Type.Optional(ref(ChannelCache))
}, {
  $id: 'ChannelResponse',
  description: 'The channel\'s state; the attributes only when asked for with `info` (`cache` when it holds an event)',
  examples: [{ occupied: true, subscription_count: 3, user_count: 2 }]
})

export const UsersResponse = Type.Object({
  users: Type.Array(ref(ChannelUser), { description: 'Users of the presence channel' })
}, { $id: 'UsersResponse', examples: [{ users: [{ id: '7' }] }] })

export const EmptyResponse = Type.Object({}, { $id: 'EmptyResponse', examples: [{}] })

type ErrorSchema = TUnsafe<Static<typeof ErrorResponse>>

/** The shared error shape with a description (a sibling of `$ref`: the answer's description in the document). */
const errorSchema = (description: string): ErrorSchema =>
  Type.Unsafe<Static<typeof ErrorResponse>>({ $ref: 'Error', description })

/**
 * The error answers of a route (one of the lists of `refusals.ts`): one per status, described by its codes,
 * and a `default` for answers given before the route runs.
 */
export function errorResponses (refusals: readonly ErrorClass[]): Record<string, ErrorSchema> {
  const codes = new Map<number, string[]>()
  for (const { status, code } of refusals.map(refusalOf)) codes.set(status, [...codes.get(status) ?? [], code])
  const out: Record<string, ErrorSchema> = {}
  for (const [status, list] of [...codes].sort(([a], [b]) => a - b)) {
    out[status] = errorSchema(`${String(STATUS_CODES[status])}: ${list.map((code) => `\`${code}\``).join(', ')}`)
  }
  out.default = errorSchema('Another error, answered before the route runs (a malformed URL, or a plain 503 ' +
    'while a host server closes)')
  return out
}

export type TriggerEvent = Static<typeof TriggerEvent>
export type BatchEvent = Static<typeof BatchEvent>
export type ChannelAttributes = Static<typeof ChannelAttributes>
