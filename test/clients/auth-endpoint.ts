/**
 * A backend's auth endpoints as apps write them, with the official `pusher` server SDK: `POST /auth`
 * (`authorizeChannel`, presence `channel_data` for the user named in the request) and `POST /user-auth`
 * (`authenticateUser`). They accept pusher-js's form bodies and broadcastt-js's JSON bodies.
 */
import type { FastifyInstance } from 'fastify'
import PusherServer from 'pusher'
import { TEST_APP } from '../helpers/server.js'

/** A base64 32-byte master key for end-to-end encrypted channels. */
export const MASTER_KEY = Buffer.alloc(32, 7).toString('base64')

/** The SDK configured for the test app; `port` is needed only for REST calls. */
export function sdk (port = 1): PusherServer {
  return new PusherServer({
    appId: TEST_APP.id,
    key: TEST_APP.key,
    secret: TEST_APP.secret,
    host: '127.0.0.1',
    port: String(port),
    useTLS: false,
    encryptionMasterKeyBase64: MASTER_KEY
  })
}

interface AuthBody { socket_id?: string, channel_name?: string, user?: string, name?: string, watchlist?: string }

export interface AuthEndpointOptions {
  /** Channels whose signature is made with a wrong secret. */
  forge?: string[]
  /** The presence `user_info` of a user (default `{ name }`; Laravel apps usually include the id too). */
  userInfo?: (user: string, name: string) => Record<string, unknown>
}

/** Registers `/auth` and `/user-auth` on a test app. */
export function addAuthEndpoints (app: FastifyInstance, options: AuthEndpointOptions = {}): void {
  const userInfo = options.userInfo ?? ((_user: string, name: string) => ({ name }))
  const signer = sdk()
  const forger = new PusherServer({ appId: TEST_APP.id, key: TEST_APP.key, secret: 'not-the-secret', host: '127.0.0.1' })
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })
  app.post('/auth', async (request) => {
    const body = request.body as AuthBody
    const socketId = body.socket_id ?? ''
    const channel = body.channel_name ?? ''
    const user = body.user ?? 'anonymous'
    const presence = channel.startsWith('presence-')
      ? { user_id: user, user_info: userInfo(user, body.name ?? user) }
      : undefined
    const key = options.forge?.includes(channel) === true ? forger : signer
    return key.authorizeChannel(socketId, channel, presence)
  })
  app.post('/user-auth', async (request) => {
    const body = request.body as AuthBody
    const watchlist = body.watchlist === undefined || body.watchlist === '' ? {} : { watchlist: body.watchlist.split(',') }
    return signer.authenticateUser(body.socket_id ?? '', { id: body.user ?? 'anonymous', user_info: { name: body.name }, ...watchlist })
  })
}
