/**
 * Where apps come from. The plugin looks apps up by key (WebSocket) and by id (REST) through this interface;
 * the static store serves the `apps` option.
 */
import type { AppConfig } from '../options.js'

export type App = Readonly<AppConfig>

export interface AppStore {
  byKey(key: string): App | undefined
  byId(id: string): App | undefined
  all(): readonly App[]
}

export class StaticAppStore implements AppStore {
  readonly #byKey = new Map<string, App>()
  readonly #byId = new Map<string, App>()
  readonly #apps: readonly App[]

  constructor (apps: readonly AppConfig[]) {
    this.#apps = apps.map((app) => Object.freeze({ ...app, limits: Object.freeze({ ...app.limits }) }))
    for (const app of this.#apps) {
      this.#byKey.set(app.key, app)
      this.#byId.set(app.id, app)
    }
  }

  byKey (key: string): App | undefined { return this.#byKey.get(key) }
  byId (id: string): App | undefined { return this.#byId.get(id) }
  all (): readonly App[] { return this.#apps }
}
