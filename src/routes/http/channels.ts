/**
 * Channel queries (PROTOCOL.md §9): `GET /channels`, `GET /channels/{name}` (also `/channel/{name}`) and
 * `GET /channels/{name}/users`. Counts come from the adapter and are cluster-wide.
 */
import type { Static } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { InvalidRequestError } from '../../errors.js'
import { cacheInfo } from '../../hub/cache.js'
import { channelNameProblem, channelType } from '../../protocol/channel-name.js'
import type { RestContext } from './context.js'
import { attributesOf, checkUserCount, isPresence, parseInfo } from './info.js'
import {
  AppParams, ChannelParams, ChannelQuery, ChannelResponse, ChannelsQuery, ChannelsResponse, errorResponses,
  SignedQuery, UsersResponse, type ChannelAttributes
} from './schemas.js'
import { READ_REFUSALS } from './refusals.js'
import { appOf } from './verify-signature.js'
import { dict } from '../../protocol/dict.js'

/** The channel name of a path, or 400 when it is not a valid name. */
function channelName (name: string, nameLength: number): string {
  const problem = channelNameProblem(name, nameLength)
  if (problem !== undefined) throw new InvalidRequestError(`${problem}: ${JSON.stringify(name.slice(0, 250))}`)
  return name
}

export function registerChannelRoutes (fastify: FastifyInstance, ctx: RestContext): void {
  const scope = fastify.withTypeProvider<TypeBoxTypeProvider>()
  scope.get('/channels', {
    schema: {
      operationId: 'listChannels',
      summary: 'List occupied channels',
      description: '`info=user_count` needs `filter_by_prefix` to start with `presence-` (else 400).',
      tags: ['channels'],
      params: AppParams,
      querystring: ChannelsQuery,
      response: { 200: ChannelsResponse, ...errorResponses(READ_REFUSALS) }
    }
  }, async (request) => {
    const app = appOf(request)
    const prefix = request.query.filter_by_prefix ?? ''
    const attributes = parseInfo(request.query.info, ['subscription_count', 'user_count'])
    if (attributes.has('user_count') && !isPresence(prefix)) {
      throw new InvalidRequestError('info=user_count needs filter_by_prefix to start with "presence-"')
    }
    const channels = dict<ChannelAttributes>()
    for (const [name, counts] of await ctx.hub.channels(app.id, prefix)) {
      channels[name] = attributesOf(attributes, counts)
    }
    return { channels }
  })

  for (const [url, operationId, summary] of [
    ['/channels/:channel_name', 'getChannel', 'Get the state of one channel'],
    ['/channel/:channel_name', 'getChannelAlias', 'Get the state of one channel (alias of /channels/{channel_name})']
  ] as const) {
    scope.get(url, {
      schema: {
        operationId,
        summary,
        description: '`user_count` applies to presence channels and `cache` to cache channels only (else 400).',
        tags: ['channels'],
        params: ChannelParams,
        querystring: ChannelQuery,
        response: { 200: ChannelResponse, ...errorResponses(READ_REFUSALS) }
      }
    }, async (request) => {
      const app = appOf(request)
      const name = channelName(request.params.channel_name, app.limits.nameLength)
      const attributes = parseInfo(request.query.info, ['subscription_count', 'user_count', 'cache'])
      checkUserCount(attributes, [name])
      if (attributes.has('cache') && !channelType(name).cached) {
        throw new InvalidRequestError(`info=cache applies to cache channels only; ${JSON.stringify(name)} is not one`)
      }
      const counts = await ctx.hub.channel(app.id, name)
      const out: Static<typeof ChannelResponse> = { occupied: counts.subscriptionCount > 0, ...attributesOf(attributes, counts) }
      if (attributes.has('cache')) {
        const cached = await cacheInfo(ctx.hub, app.id, name)
        if (cached !== undefined) out.cache = { data: cached.data, ttl: cached.ttl }
      }
      return out
    })
  }

  scope.get('/channels/:channel_name/users', {
    schema: {
      operationId: 'listChannelUsers',
      summary: 'List the users of a presence channel',
      description: 'Presence channels only (else 400). One entry per user, however many connections it has.',
      tags: ['channels'],
      params: ChannelParams,
      querystring: SignedQuery,
      response: { 200: UsersResponse, ...errorResponses(READ_REFUSALS) }
    }
  }, async (request) => {
    const app = appOf(request)
    const name = channelName(request.params.channel_name, app.limits.nameLength)
    if (!isPresence(name)) throw new InvalidRequestError(`${JSON.stringify(name)} is not a presence channel`)
    const members = await ctx.hub.members(app.id, name)
    return { users: members.map(({ id }) => ({ id })) }
  })
}
