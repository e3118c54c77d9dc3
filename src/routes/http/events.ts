/**
 * `POST /events`, `POST /event` and `POST /batch_events` (PROTOCOL.md §9). Every event of a request is
 * checked against the rules of `hub/trigger.ts` and the app's rate before anything is published: a refused
 * request delivers nothing, and neither does a batch with one invalid event.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { App } from '../../apps/app-store.js'
import { EventTooLargeError, InvalidEventError, InvalidRequestError, RateLimitedError } from '../../errors.js'
import { publishEvent, triggerProblem, type TriggerEvent as HubEvent } from '../../hub/trigger.js'
import type { RestContext } from './context.js'
import { withinRate } from './rate.js'
import { channelsAttributes, checkUserCount, parseInfo, type Attribute } from './info.js'
import {
  AppParams, BatchEventsBody, errorResponses, EventsBody, ref, SignedQuery, TriggerEvent, TriggerResponse,
  type BatchEvent, type ChannelAttributes
} from './schemas.js'
import { TRIGGER_REFUSALS } from './refusals.js'
import { appOf } from './verify-signature.js'

interface Planned {
  readonly event: HubEvent
  readonly attributes: ReadonlySet<Attribute>
}

type EventsBodyValue = TriggerEvent | { batch: BatchEvent[] } | BatchEvent[]

/** One event's rules; `where` prefixes messages of batch events (`batch[3]: …`). */
export function planEvent (app: App, input: TriggerEvent | BatchEvent, where: string): Planned {
  const single = input as TriggerEvent
  if (single.channels !== undefined && single.channel !== undefined) {
    throw new InvalidEventError(`${where}Give either channels or channel, not both`)
  }
  const channels = single.channels ?? (input.channel === undefined ? [] : [input.channel])
  const event: HubEvent = { name: input.name, data: input.data, channels, socketId: input.socket_id }
  const problem = triggerProblem(app, event)
  if (problem !== undefined) {
    const message = where + problem.message
    throw problem.status === 413 ? new EventTooLargeError(message) : new InvalidEventError(message)
  }
  let attributes: ReadonlySet<Attribute>
  try {
    attributes = parseInfo(input.info, ['subscription_count', 'user_count'])
    checkUserCount(attributes, channels)
  } catch (err) {
    throw new InvalidRequestError(where + (err as Error).message)
  }
  return { event, attributes }
}

function planBatch (app: App, batch: readonly BatchEvent[]): Planned[] {
  const max = app.limits.eventsPerBatch
  if (batch.length > max) throw new InvalidEventError(`A batch may hold at most ${max} events; it has ${batch.length}`)
  return batch.map((event, i) => planEvent(app, event, `batch[${i}]: `))
}

/**
 * Checks the rate, publishes every planned event in order and answers with the attributes asked for. The
 * console's trigger form goes through here too.
 */
export async function publishPlanned (ctx: RestContext, reply: FastifyReply, app: App, planned: readonly Planned[], batch: boolean):
Promise<{ channels?: Record<string, ChannelAttributes>, batch?: ChannelAttributes[] }> {
  const perSecond = app.limits.backendEventsPerSecond
  // An unlimited app (rate 0) takes no token: no call, no promise.
  if (perSecond > 0 && !await withinRate(ctx, app.id, 'events', perSecond, planned.length)) {
    void reply.header('retry-after', '1')
    throw new RateLimitedError(`App ${app.id} is over its rate of ${perSecond} backend events per second`)
  }
  for (const { event } of planned) await publishEvent(ctx.hub, app, event)
  if (planned.every(({ attributes }) => attributes.size === 0)) return {}
  const answers = await Promise.all(planned.map(({ event, attributes }) =>
    channelsAttributes(ctx.hub, app.id, event.channels, attributes)))
  if (!batch) return { channels: answers[0] ?? {} }
  return { batch: answers.map((channels, i) => channels[planned[i]?.event.channels[0] ?? ''] ?? {}) }
}

export function registerEventRoutes (fastify: FastifyInstance, ctx: RestContext): void {
  const scope = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const responses = { 200: TriggerResponse, ...errorResponses(TRIGGER_REFUSALS) }
  scope.post('/events', {
    schema: {
      operationId: 'triggerEvents',
      summary: 'Trigger one event or a batch',
      description: 'Accepts one event, `{"batch": [...]}` or a bare JSON array of events (at most 10 by default). ' +
        'With `info`, answers the attributes of the event\'s channels (or, for a batch, one entry per event).',
      tags: ['events'],
      params: AppParams,
      querystring: SignedQuery,
      body: EventsBody,
      response: responses
    }
  }, async (request, reply) => {
    const app = appOf(request)
    const body: EventsBodyValue = request.body
    if (Array.isArray(body)) return await publishPlanned(ctx, reply, app, planBatch(app, body), true)
    if ('batch' in body) return await publishPlanned(ctx, reply, app, planBatch(app, body.batch), true)
    return await publishPlanned(ctx, reply, app, [planEvent(app, body, '')], false)
  })

  scope.post('/event', {
    schema: {
      operationId: 'triggerEvent',
      summary: 'Trigger one event (the Broadcastt SDK\'s route)',
      tags: ['events'],
      params: AppParams,
      querystring: SignedQuery,
      body: ref(TriggerEvent),
      response: responses
    }
  }, async (request, reply) => {
    const app = appOf(request)
    return await publishPlanned(ctx, reply, app, [planEvent(app, request.body, '')], false)
  })

  scope.post('/batch_events', {
    schema: {
      operationId: 'triggerBatch',
      summary: 'Trigger a batch of events (the Pusher SDKs\' route)',
      tags: ['events'],
      params: AppParams,
      querystring: SignedQuery,
      body: ref(BatchEventsBody),
      response: responses
    }
  }, async (request, reply) => {
    const app = appOf(request)
    return await publishPlanned(ctx, reply, app, planBatch(app, request.body.batch), true)
  })
}
