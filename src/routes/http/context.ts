/**
 * What the REST routes share: the hub, the apps, the resolved options, a clock and the draining flag.
 */
import type { App } from '../../apps/app-store.js'
import type { AppRegistry } from '../../apps/registry.js'
import type { Hub } from '../../hub/hub.js'
import type { ResolvedOptions } from '../../options.js'

export interface RestContext {
  readonly hub: Hub
  readonly apps: AppRegistry
  readonly options: ResolvedOptions
  /** Milliseconds since the epoch; the signature window uses it. */
  readonly now: () => number
  /** True once the server is shutting down: requests get 503. */
  readonly draining: () => boolean
}

declare module 'fastify' {
  /** Documentation keys of a route schema (the same ones @fastify/swagger reads). */
  interface FastifySchema {
    operationId?: string
    summary?: string
    description?: string
    tags?: readonly string[]
  }
  interface FastifyRequest {
    /** The app of a `/apps/:app_id/...` request, set by the signature hook once the request is verified. */
    broadcasttApp?: App
    /** What the signature hook keeps for the body check: the signed `body_md5` (absent when not sent). */
    broadcasttSigned?: { readonly bodyMd5: string | readonly string[] | undefined }
  }
}
