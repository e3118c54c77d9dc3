/**
 * A chat service with fastify-broadcastt embedded: a login stub with a signed-cookie session, in-process
 * channel authorization decided from that session, a presence channel for "who is online", a chat route that
 * publishes with `fastify.broadcastt.trigger`, and a page using the pusher-js browser build served from
 * node_modules. Copy it into your service and replace the login stub with your own.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import Fastify, { type FastifyInstance } from 'fastify'
import cookie from '@fastify/cookie'
import broadcastt from '../../src/index.js' // in your service: from 'fastify-broadcastt'

export interface ChatOptions {
  /** Signs the session cookie; at least 32 random characters in production. */
  cookieSecret: string
  app: { id: string, key: string, secret: string }
  logger?: boolean
}

interface User { id: string, name: string }

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, from the session cookie; null for visitors. */
    user: User | null
  }
}

const SESSION = 'session'

export async function buildChat (options: ChatOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false })
  await app.register(cookie, { secret: options.cookieSecret })

  // The session: a signed cookie holding the user. Every route, the auth routes included, sees request.user.
  app.decorateRequest('user', null)
  app.addHook('onRequest', async (request) => {
    const raw = request.cookies[SESSION]
    const unsigned = raw === undefined ? undefined : request.unsignCookie(raw)
    if (unsigned?.valid === true && unsigned.value !== null) request.user = JSON.parse(unsigned.value) as User
  })

  await app.register(broadcastt, {
    apps: [{ ...options.app, clientEvents: false }],
    authorize: {
      // POST /broadcasting/auth: who may subscribe to what. Visitors may not subscribe to anything private.
      channel: (request, { channel }) => {
        const user = request.user
        if (user === null) return false
        if (channel === 'presence-chat') return { user_id: user.id, user_info: { name: user.name } }
        if (channel === 'private-chat') return true
        return channel === `private-user.${user.id}` // each user's own inbox
      }
    }
  })

  // The login stub: any name signs in. Replace with your users and passwords.
  app.post<{ Body: { name?: unknown } }>('/login', async (request, reply) => {
    const name = typeof request.body?.name === 'string' ? request.body.name.trim().slice(0, 40) : ''
    const id = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
    if (id === '') return await reply.code(400).send({ message: 'a name with letters or digits, please' })
    const user: User = { id, name }
    // SameSite=Lax: other sites cannot post to this service with the user's cookie.
    void reply.setCookie(SESSION, JSON.stringify(user), { signed: true, httpOnly: true, sameSite: 'lax', path: '/' })
    return user
  })
  app.post('/logout', async (_request, reply) => {
    void reply.clearCookie(SESSION, { path: '/' })
    return {}
  })
  app.get('/me', async (request) => ({ user: request.user, key: options.app.key }))

  // The chat: a message goes to everyone in the room; "@name …" also lands in that user's private inbox.
  app.post<{ Body: { text?: unknown } }>('/messages', async (request, reply) => {
    const user = request.user
    const text = typeof request.body?.text === 'string' ? request.body.text.trim().slice(0, 500) : ''
    if (user === null) return await reply.code(401).send({ message: 'log in first' })
    if (text === '') return await reply.code(400).send({ message: 'say something' })
    const message = { from: user.name, text, at: new Date().toISOString() }
    await app.broadcastt.trigger({ appId: options.app.id, channels: ['private-chat'], name: 'message', data: message })
    const mention = /^@([a-z0-9-]+)\s/.exec(text)?.[1]
    if (mention !== undefined && mention !== user.id) {
      await app.broadcastt.trigger({ appId: options.app.id, channels: [`private-user.${mention}`], name: 'mention', data: message })
    }
    return {}
  })

  // The page, its script, and the pusher-js browser build from node_modules (no CDN).
  const files = {
    '/': ['text/html', new URL('public/index.html', import.meta.url)],
    '/chat.js': ['text/javascript', new URL('public/chat.js', import.meta.url)],
    '/pusher.min.js': ['text/javascript', createRequire(import.meta.url).resolve('pusher-js/dist/web/pusher.min.js')]
  } as const
  for (const [path, [type, file]] of Object.entries(files)) {
    const body = await readFile(file)
    app.get(path, async (_request, reply) => await reply.type(`${type}; charset=utf-8`).send(body))
  }
  return app
}
