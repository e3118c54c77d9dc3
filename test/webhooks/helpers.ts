/** Helpers of the webhook tests: a server whose test app has webhooks, and waiting for hub events. */
import type { FastifyInstance } from 'fastify'
import type { BroadcasttOptions, HubEvents } from '../../src/index.js'
import type { WebhookConfig, WebhookDeliveryOptions } from '../../src/options.js'
import { startServer, TEST_APP, type TestServer } from '../helpers/server.js'

interface Teardown { teardown (fn: () => unknown): void }

/** Quick delivery knobs for tests on the real clock: no debouncing, short batches and retries. */
export const QUICK: Partial<WebhookDeliveryOptions> = { batchMs: 10, debounceMs: 0, retryBaseDelayMs: 10, retryMaxDelayMs: 40 }

export async function serverWithWebhooks (t: Teardown, webhooks: WebhookConfig[],
  delivery: Partial<WebhookDeliveryOptions> = QUICK, extra: Partial<BroadcasttOptions> = {}): Promise<TestServer> {
  return await startServer(t, { apps: [{ ...TEST_APP, webhooks }], webhookDelivery: delivery, ...extra })
}

type Payload<E extends keyof HubEvents> = HubEvents[E][0]

/** The next hub event `name` for which `match` holds. */
export function nextHubEvent<E extends keyof HubEvents> (app: FastifyInstance, name: E,
  match: (e: Payload<E>) => boolean = () => true): Promise<Payload<E>> {
  return new Promise((resolve) => {
    const listener = (e: Payload<E>): void => {
      if (!match(e)) return
      app.broadcastt.off(name, listener as never)
      resolve(e)
    }
    app.broadcastt.on(name, listener as never)
  })
}

/** Collects every hub event `name` into an array for the rest of the test. */
export function collect<E extends keyof HubEvents> (app: FastifyInstance, name: E): Array<Payload<E>> {
  const out: Array<Payload<E>> = []
  app.broadcastt.on(name, ((e: Payload<E>) => { out.push(e) }) as never)
  return out
}
