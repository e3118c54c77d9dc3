/**
 * A host app store for tests: apps in a Map, every call counted, answers taken when the call is made and
 * optionally held until `release()`, and a switch that makes every call fail (the host's database is down).
 */
import type { FastifyInstance } from 'fastify'
import type { AppInput, AppStore } from '../../src/index.js'
import type { Backend } from './scenarios.js'

export class FakeStore implements AppStore {
  readonly apps = new Map<string, AppInput>()
  /** Calls of byKey and byId (what a database would count as queries). */
  calls = 0
  failing = false
  #held: Array<() => void> | undefined
  readonly #waiters = new Set<() => void>()

  constructor (apps: AppInput[] = []) {
    for (const app of apps) this.apps.set(app.id, app)
  }

  set (app: AppInput): void { this.apps.set(app.id, app) }

  /** From now on, answers wait until `release()`. */
  hold (): void { this.#held ??= [] }

  release (): void {
    const held = this.#held ?? []
    this.#held = undefined
    for (const resolve of held) resolve()
  }

  /** Resolves once `calls` reaches `n`. */
  async called (n: number): Promise<void> {
    while (this.calls < n) await new Promise<void>((resolve) => { this.#waiters.add(resolve) })
  }

  async #answer (find: () => AppInput | undefined): Promise<AppInput | undefined> {
    this.calls++
    for (const wake of this.#waiters) wake()
    this.#waiters.clear()
    const answer = find() // what the database holds when the query is made
    if (this.#held !== undefined) await new Promise<void>((resolve) => { this.#held?.push(resolve) })
    if (this.failing) throw new Error('the host database is down')
    return answer === undefined ? undefined : structuredClone(answer)
  }

  async byKey (key: string): Promise<AppInput | undefined> {
    return await this.#answer(() => [...this.apps.values()].find((app) => app.key === key))
  }

  async byId (id: string): Promise<AppInput | undefined> {
    return await this.#answer(() => this.apps.get(id))
  }

  async list (): Promise<AppInput[]> {
    return [...this.apps.values()]
  }
}

/** Changes apps as a host does: in its store, then `appChanged` on one node (`app`). */
export function hostBackend (store: FakeStore, app: FastifyInstance): Backend {
  return {
    put: async (input) => {
      store.set(input)
      await app.broadcastt.appChanged(input.id)
    },
    remove: async (id) => {
      store.apps.delete(id)
      await app.broadcastt.appChanged(id)
    }
  }
}
