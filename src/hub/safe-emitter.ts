/**
 * The hub's event emitter. Listeners (the host's `fastify.broadcastt.on`, webhooks, metrics) run inside
 * socket and timer callbacks, so a throwing listener must not become an uncaught exception that takes every
 * connection down: each listener runs on its own, and what it throws (or its returned promise rejects
 * with) is reported, while the other listeners and the hub carry on.
 */
import { EventEmitter } from 'node:events'
import type { HubEvents } from './events.js'

/** What a listener threw, with the event it was listening to. */
export class ListenerError extends Error {
  constructor (readonly event: string, cause: unknown) {
    super(`A listener of the hub event "${event}" failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause })
    this.name = 'ListenerError'
  }
}

type AnyListener = (...args: unknown[]) => unknown

export class SafeEmitter extends EventEmitter<HubEvents> {
  constructor (private readonly onListenerError: (error: ListenerError) => void) {
    super()
  }

  /**
   * Whether anyone listens to the event: hot paths check it before building an event nobody would read
   * (one property lookup), so events for occasional listeners cost nothing while there are none.
   */
  has (event: keyof HubEvents): boolean {
    return this.listenerCount(event) > 0
  }

  override emit<K extends keyof HubEvents> (event: K, ...args: HubEvents[K]): boolean {
    // Most events have no listener: no copy of an empty listener array.
    if (this.listenerCount(event) === 0) return false
    // rawListeners keeps `once` wrappers, which remove themselves when called.
    const listeners = this.rawListeners(event) as unknown as AnyListener[]
    for (const listener of listeners) {
      try {
        const result = listener.apply(this, args)
        if (result instanceof Promise) result.catch((error: unknown) => { this.#report(event, error) })
      } catch (error) {
        this.#report(event, error)
      }
    }
    return listeners.length > 0
  }

  #report (event: string, error: unknown): void {
    try {
      this.onListenerError(new ListenerError(event, error))
    } catch {
      // The reporter itself failed (e.g. a broken logger stream); nothing more can be done here.
    }
  }
}
