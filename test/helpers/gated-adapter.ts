/**
 * A memory adapter whose calls the test controls, standing in for a networked adapter (I/O gaps, failures,
 * calls that never answer): `hold` makes a method's calls wait until `release`, `fail` makes them reject,
 * `hang` makes them never settle. `called(method)` resolves at the method's next call. `holdDeliveries`
 * makes it late like a networked one: `publish` resolves at once but the message reaches the nodes only at
 * `releaseDeliveries`, and `barrier` waits for that. The hub it serves is kept as `node`, so tests can look
 * at server-side connections.
 */
import { MemoryAdapter } from '../../src/adapters/memory.js'
import type { ClusterMessage, LocalNode } from '../../src/adapters/adapter.js'

const METHODS = ['subscribe', 'unsubscribe', 'publish', 'channels', 'channel', 'addMember', 'removeMember', 'members',
  'getCache', 'addUserConnection', 'removeUserConnection', 'onlineUsers', 'addConnection', 'removeConnection'] as const
type Method = typeof METHODS[number]

type Mode = { kind: 'hold', waiting: Array<() => void> } | { kind: 'fail', error: Error } | { kind: 'hang' }

export class GatedAdapter extends MemoryAdapter {
  node: LocalNode | undefined
  readonly #modes = new Map<Method, Mode>()
  readonly #callWaiters = new Map<Method, Array<() => void>>()
  readonly counts = new Map<Method, number>()
  /** Publications accepted but not delivered yet, while deliveries are held. */
  #undelivered: Array<() => Promise<void>> | undefined
  #barriers: Array<() => void> = []

  constructor () {
    super()
    const self = this as unknown as Record<Method, (...args: unknown[]) => Promise<unknown>>
    for (const method of METHODS) {
      const real = self[method].bind(this)
      self[method] = async (...args: unknown[]) => {
        this.counts.set(method, (this.counts.get(method) ?? 0) + 1)
        for (const resolve of this.#callWaiters.get(method)?.splice(0) ?? []) resolve()
        await this.#gate(method)
        return await real(...args)
      }
    }
  }

  override async attach (node: LocalNode): Promise<void> {
    this.node = node
    await super.attach(node)
  }

  async #gate (method: Method): Promise<void> {
    const mode = this.#modes.get(method)
    if (mode === undefined) return
    if (mode.kind === 'fail') throw mode.error
    if (mode.kind === 'hang') await new Promise<never>(() => {})
    if (mode.kind === 'hold') await new Promise<void>((resolve) => { mode.waiting.push(resolve) })
  }

  override async publish (message: ClusterMessage, cacheSeconds?: number): Promise<void> {
    if (this.#undelivered === undefined) {
      await super.publish(message, cacheSeconds)
      return
    }
    this.#undelivered.push(async () => { await super.publish(message, cacheSeconds) })
  }

  /** Waits while deliveries are held: what was published before the call reaches the nodes at the release. */
  override async barrier (): Promise<void> {
    if (this.#undelivered !== undefined) await new Promise<void>((resolve) => { this.#barriers.push(resolve) })
  }

  /** From now on `publish` resolves at once and delivers nothing until `releaseDeliveries`. */
  holdDeliveries (): void { this.#undelivered ??= [] }

  /** Delivers the held publications in order, and those to come at once again. */
  async releaseDeliveries (): Promise<void> {
    const undelivered = this.#undelivered ?? []
    this.#undelivered = undefined
    for (const deliver of undelivered) await deliver()
    for (const resolve of this.#barriers.splice(0)) resolve()
  }

  hold (method: Method): void { this.#modes.set(method, { kind: 'hold', waiting: [] }) }
  fail (method: Method, error = new Error(`${method} failed`)): void { this.#modes.set(method, { kind: 'fail', error }) }
  hang (method: Method): void { this.#modes.set(method, { kind: 'hang' }) }

  /** Lets the held calls of a method go on, and the later ones pass at once. */
  release (method: Method): void {
    const mode = this.#modes.get(method)
    this.#modes.delete(method)
    if (mode?.kind === 'hold') for (const resolve of mode.waiting) resolve()
  }

  /** Resolves at the method's next call (before the gate applies). */
  called (method: Method): Promise<void> {
    return new Promise((resolve) => {
      this.#callWaiters.set(method, [...(this.#callWaiters.get(method) ?? []), resolve])
    })
  }
}
