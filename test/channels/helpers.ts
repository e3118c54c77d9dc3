/** Helpers of the channel and user tests: signatures as a backend's auth endpoint makes them. */
import type { FastifyInstance } from 'fastify'
import { signChannel, signUser } from '../../src/auth/channel-auth.js'
import { TEST_APP } from '../helpers/server.js'
import type { Frame, TestClient } from '../helpers/ws-client.js'

export const APP = { key: TEST_APP.key, secret: TEST_APP.secret }

/** Subscribe data for a private or encrypted channel, signed for the client's socket. */
export function privateAuth (client: TestClient, channel: string): { auth: string } {
  return { auth: signChannel(APP, client.socketId, channel) }
}

/** Subscribe data for a presence channel: `channel_data` of the user, and its signature. */
export function presenceAuth (client: TestClient, channel: string, userId: string | number, userInfo?: unknown):
{ auth: string, channel_data: string } {
  const channelData = JSON.stringify(userInfo === undefined ? { user_id: userId } : { user_id: userId, user_info: userInfo })
  return { auth: signChannel(APP, client.socketId, channel, channelData), channel_data: channelData }
}

/** Sign-in data for a user. */
export function signinData (client: TestClient, user: Record<string, unknown>): { auth: string, user_data: string } {
  const userData = JSON.stringify(user)
  return { auth: signUser(APP, client.socketId, userData), user_data: userData }
}

/** Subscribes and throws unless it succeeded; returns the success frame. */
export async function joined (client: TestClient, channel: string, extra: Record<string, unknown> = {}, prefix = 'pusher'):
Promise<Frame> {
  const reply = await client.subscribe(channel, prefix, extra)
  if (!reply.event.endsWith('subscription_succeeded')) throw new Error(`subscribe ${channel} failed: ${reply.data}`)
  return reply
}

/** Resolves when the server has removed the client's connection (the client's own close comes earlier). */
export function serverClosed (app: FastifyInstance, client: TestClient): Promise<void> {
  return new Promise((resolve) => {
    const listener = (e: { socketId: string }) => {
      if (e.socketId !== client.socketId) return
      app.broadcastt.off('connection_closed', listener)
      resolve()
    }
    app.broadcastt.on('connection_closed', listener)
  })
}
