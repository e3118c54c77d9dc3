/**
 * TypeBox schemas of the REST API (PROTOCOL.md §9–§10). Every route schema has an `$id`; shared shapes are
 * added once to the REST scope (`SHARED_SCHEMAS`) and referenced with `ref()`, so the OpenAPI document gets
 * them as `components.schemas`. Limits that are per-app configuration (channels per event, name length,
 * data size, events per batch) are checked by `hub/trigger.ts`, not here.
 */
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox'

/** A `$ref` to a shared schema, typed as the schema it points to. */
export function ref<T extends TSchema> (schema: T): TUnsafe<Static<T>> {
  if (schema.$id === undefined) throw new Error('ref() needs a schema with an $id')
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id))
}

// ── Shared components ────────────────────────────────────────────────────────────────────────────────────

export const ErrorResponse = Type.Object({
  statusCode: Type.Integer({ description: 'The HTTP status', examples: [400] }),
  code: Type.String({ description: 'Stable error code (see the error table)', examples: ['FST_BROADCASTT_INVALID_EVENT'] }),
  error: Type.String({ description: 'The HTTP status text', examples: ['Bad Request'] }),
  message: Type.String({ description: 'What was wrong', examples: ['An event may name at most 100 channels'] })
}, { $id: 'Error', description: 'Every error answer has this shape' })

const SOCKET_ID = Type.String({
  pattern: '^\\d+\\.\\d+$',
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

export const SHARED_SCHEMAS: readonly TSchema[] = [ErrorResponse, TriggerEvent, BatchEvent, ChannelAttributes]

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
 * The signing parameters of PROTOCOL.md §10 that every route documents; `auth_key` and `auth_signature` are
 * the security scheme. Optional here because the signature hook checks them first (401, not 400).
 */
const SIGNING = {
  auth_timestamp: Type.Optional(Type.String({
    pattern: '^\\d+$', description: 'Unix time in seconds; within 600 s of the server clock. Required.', examples: ['1353088179']
  })),
  auth_version: Type.Optional(Type.String({ description: 'Always `1.0`. Required.', examples: ['1.0'] })),
  body_md5: Type.Optional(Type.String({
    pattern: '^[0-9a-fA-F]{32}$',
    description: 'Hex MD5 of the raw request body; required when there is a body',
    examples: ['ec365a775a4cd0599faeb73354201b6f']
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
  Type.Object({ batch: Type.Array(ref(BatchEvent), { minItems: 1, description: 'At most 10 events by default' }) }),
  Type.Array(ref(BatchEvent), { minItems: 1, description: 'A bare array of events, at most 10 by default' })
], {
  $id: 'EventsBody',
  description: 'One event, `{"batch": [...]}`, or a bare array of events',
  examples: [{ name: 'my-event', channels: ['my-channel'], data: '{"message":"hello"}' }]
})

export const BatchEventsBody = Type.Object({
  batch: Type.Array(ref(BatchEvent), { minItems: 1, description: 'At most 10 events by default' })
}, {
  $id: 'BatchEventsBody',
  examples: [{ batch: [{ name: 'my-event', channel: 'my-channel', data: '{"message":"hello"}' }] }]
})

export const TerminateBody = Type.Object({}, { $id: 'TerminateBody', description: 'Ignored; the SDKs send `{}`' })

// ── Responses ────────────────────────────────────────────────────────────────────────────────────────────

export const TriggerResponse = Type.Object({
  channels: Type.Optional(Type.Record(Type.String(), ref(ChannelAttributes), {
    description: 'With `info`: the attributes of each channel of the event'
  })),
  batch: Type.Optional(Type.Array(ref(ChannelAttributes), {
    description: 'A batch with `info` on any event: one entry per event, index-aligned ({} without `info`)'
  }))
}, {
  $id: 'TriggerResponse',
  description: '`{}`, or the channel attributes asked for with `info`',
  examples: [{}, { channels: { 'presence-room': { user_count: 2, subscription_count: 3 } } }]
})

export const ChannelsResponse = Type.Object({
  channels: Type.Record(Type.String(), ref(ChannelAttributes), { description: 'Occupied channels only' })
}, { $id: 'ChannelsResponse', examples: [{ channels: { 'presence-room': { user_count: 2 } } }] })

export const ChannelResponse = Type.Object({
  occupied: Type.Boolean({ description: 'At least one connection is subscribed' }),
  subscription_count: Type.Optional(Type.Integer({ minimum: 0 })),
  user_count: Type.Optional(Type.Integer({ minimum: 0 })),
  cache: Type.Optional(Type.Object({
    data: Type.String({ description: 'The cached event data' }),
    ttl: Type.Integer({ minimum: 0, description: 'Seconds the event stays cached' })
  }, { description: 'A cache channel\'s last event, when it holds one' }))
}, { $id: 'ChannelResponse', examples: [{ occupied: true, subscription_count: 3, user_count: 2 }] })

export const UsersResponse = Type.Object({
  users: Type.Array(Type.Object({ id: Type.String() }), { description: 'Users of the presence channel' })
}, { $id: 'UsersResponse', examples: [{ users: [{ id: '7' }] }] })

export const EmptyResponse = Type.Object({}, { $id: 'EmptyResponse', examples: [{}] })

/** The error answers a route may give, each with the shared error shape. */
export function errorResponses (...statuses: number[]): Record<number, TUnsafe<Static<typeof ErrorResponse>>> {
  const out: Record<number, TUnsafe<Static<typeof ErrorResponse>>> = {}
  for (const status of [400, 401, 403, 404, 503, ...statuses]) out[status] = ref(ErrorResponse)
  return out
}

export type TriggerEvent = Static<typeof TriggerEvent>
export type BatchEvent = Static<typeof BatchEvent>
export type ChannelAttributes = Static<typeof ChannelAttributes>
