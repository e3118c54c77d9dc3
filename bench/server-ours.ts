/**
 * fastify-broadcastt as a bench child: one app, clients on the pusher dialect, events published through the
 * programmatic API (`fastify.broadcastt.trigger`), i.e. the same hub → adapter → deliver path as REST.
 */
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import broadcastt from '../src/index.js'
import { CHANNEL, EVENT, runChild } from './ipc.js'

const APP = { id: 'bench', key: 'bench-key', secret: 'bench-secret' }

await runChild(async () => {
  const app = Fastify({ logger: false })
  await app.register(broadcastt, { apps: [APP] })
  await app.listen({ port: 0, host: '127.0.0.1' })

  return {
    port: (app.server.address() as AddressInfo).port,
    path: `/app/${APP.key}?protocol=7`,
    async trigger (data: string): Promise<void> {
      await app.broadcastt.trigger({ appId: APP.id, channels: [CHANNEL], name: EVENT, data })
    },
    async close (): Promise<void> {
      await app.close()
    }
  }
})
