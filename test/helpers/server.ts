/**
 * Starts a real Fastify server with the plugin on 127.0.0.1, port 0, closed when the test ends, and registers
 * it for `TestClient.settle()` (test/helpers/settle.ts).
 */
import Fastify, { type FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import type { Writable } from 'node:stream'
import broadcastt, { type AppInput, type BroadcasttOptions } from '../../src/index.js'
import { trackServer } from './settle.js'

export interface TestServer {
  app: FastifyInstance
  port: number
  /** `ws://127.0.0.1:PORT{prefix}/app/{key}` plus an optional query string. */
  wsUrl (key?: string, query?: string, path?: 'app' | 'apps'): string
}

export const TEST_APP: AppInput = { id: 'test-id', key: 'test-key', secret: 'test-secret', clientEvents: true }

interface Teardown { teardown (fn: () => unknown): void }

export async function startServer (
  t: Teardown, options: Partial<BroadcasttOptions> = {}, setup?: (app: FastifyInstance) => unknown, log?: Writable
): Promise<TestServer> {
  const app = Fastify({ logger: log === undefined ? false : { level: 'info', stream: log } })
  await app.register(broadcastt, { apps: [TEST_APP], ...options })
  await setup?.(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  trackServer(t, app)
  const { port } = app.server.address() as AddressInfo
  const prefix = options.prefix ?? ''
  return {
    app,
    port,
    wsUrl: (key = TEST_APP.key, query = 'protocol=7', path = 'app') =>
      `ws://127.0.0.1:${port}${prefix}/${path}/${key}${query === '' ? '' : '?' + query}`
  }
}
