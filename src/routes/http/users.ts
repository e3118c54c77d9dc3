/**
 * `POST /users/{user_id}/terminate_connections` (PROTOCOL.md §8–§9): closes every connection signed in as the
 * user, cluster-wide, with 4009.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import type { RestContext } from './context.js'
import { EmptyResponse, errorResponses, SignedQuery, TerminateBody, UserParams } from './schemas.js'
import { BODY_REFUSALS } from './refusals.js'
import { appOf } from './verify-signature.js'

export function registerUserRoutes (fastify: FastifyInstance, ctx: RestContext): void {
  const scope = fastify.withTypeProvider<TypeBoxTypeProvider>()
  scope.post('/users/:user_id/terminate_connections', {
    schema: {
      operationId: 'terminateUserConnections',
      summary: 'Close every connection of a user',
      description: 'Every connection signed in as the user, on every node, is closed with 4009.',
      tags: ['users'],
      params: UserParams,
      querystring: SignedQuery,
      body: TerminateBody,
      response: { 200: EmptyResponse, ...errorResponses(BODY_REFUSALS) }
    }
  }, async (request) => {
    const app = appOf(request)
    await ctx.hub.terminateUser(app.id, request.params.user_id)
    return {}
  })
}
