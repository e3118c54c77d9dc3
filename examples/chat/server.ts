/** `npm run example`: the chat on http://127.0.0.1:3000 (PORT and HOST change it). */
import { randomBytes } from 'node:crypto'
import { buildChat } from './app.js'

const app = await buildChat({
  logger: true,
  // Fixed development credentials; in production read them from your configuration.
  app: { id: 'chat', key: 'chat-key', secret: process.env.BROADCASTT_SECRET ?? 'chat-secret' },
  cookieSecret: process.env.COOKIE_SECRET ?? randomBytes(32).toString('hex')
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { void app.close() })
await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' })
