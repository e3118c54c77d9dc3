/**
 * Where apps come from. Static apps are the `apps` option; apps of a store (`appStore`: the host's own, or
 * the PostgreSQL one) are looked up by key (WebSocket) and by id (REST) at run time, validated against the
 * same schema as static apps, and cached by the registry (registry.ts).
 */
import { Value } from '@sinclair/typebox/value'
import { AppSchema, appWebhookProblem, dottedPath, type AppConfig, type AppInput } from '../options.js'

/** An app as the plugin serves it: every default filled, frozen. */
export type App = Readonly<AppConfig>

/**
 * The host's own store of apps (plugin option `appStore`). The plugin asks it for apps it has not cached;
 * an answer is an app in the options' shape (`AppInput`, validated like a static app) or undefined/null when
 * there is none. After changing an app, call `fastify.broadcastt.appChanged(id)`.
 */
export interface AppStore {
  byKey (key: string): Promise<AppInput | null | undefined>
  byId (id: string): Promise<AppInput | null | undefined>
  /** Every app (optional): listing tools such as a console read it. */
  list? (): Promise<AppInput[]>
}

/** One record as a source answered it: the app, or why it cannot be served (logged once, then unknown). */
export type Loaded =
  | { readonly ok: true, readonly app: App }
  | { readonly ok: false, readonly id: string, readonly problem: string }

/** What the registry loads from: the host's store (`hostSource`) or the PostgreSQL store. */
export interface AppSource {
  byKey (key: string): Promise<Loaded | undefined>
  byId (id: string): Promise<Loaded | undefined>
  /** The records of several ids (those that exist), for reloads. */
  byIds (ids: readonly string[]): Promise<Loaded[]>
  list? (): Promise<Loaded[]>
  /**
   * Starts watching the source: `changed(ids)` names changed apps, `changed(undefined)` means any may have;
   * it rejects when the reload failed.
   */
  start? (changed: (ids: readonly string[] | undefined) => Promise<void>): Promise<void>
  /** False while changes may be missed (the source is unreachable); readiness says `degraded`. */
  healthy? (): boolean
  close? (): Promise<void>
}

/** Freezes an app as the plugin serves it (its limits too). */
export function freezeApp (app: AppConfig): App {
  return Object.freeze({ ...app, limits: Object.freeze({ ...app.limits }) })
}

/**
 * Validates one app against the options' app schema (defaults filled). `where` turns a path of the app
 * (`limits.maxConnections`) into the name the operator knows (`settings.limits.maxConnections` for a row).
 */
export function checkApp (input: unknown, where: (path: string) => string = (path) => path): Loaded {
  const raw = input as { id?: unknown } | null | undefined
  const id = typeof raw?.id === 'string' ? raw.id : String(raw?.id)
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, id, problem: 'Expected object' }
  const value = Value.Default(AppSchema, Value.Clone(input))
  const first = Value.Errors(AppSchema, value).First()
  if (first !== undefined) {
    const path = dottedPath(first.path)
    const what = first.message === 'Expected required property' ? 'required' : first.message
    return { ok: false, id, problem: `${where(path)}: ${what}` }
  }
  const hooks = appWebhookProblem(value as AppConfig)
  if (hooks !== undefined) return { ok: false, id, problem: where(hooks) }
  return { ok: true, app: freezeApp(value as AppConfig) }
}

/** The host's store as a source: every answer validated, and checked to be the app that was asked for. */
export function hostSource (store: AppStore): AppSource {
  const answer = (input: AppInput | null | undefined, field: 'key' | 'id', asked: string): Loaded | undefined => {
    if (input === undefined || input === null) return undefined
    const loaded = checkApp(input)
    if (loaded.ok && loaded.app[field] !== asked) {
      return { ok: false, id: loaded.app.id, problem: `${field}: the store answered for ${field} "${asked.slice(0, 64)}" with "${loaded.app[field]}"` }
    }
    return loaded
  }
  const list = store.list?.bind(store)
  const byId = async (id: string): Promise<Loaded | undefined> => answer(await store.byId(id), 'id', id)
  return {
    byKey: async (key) => answer(await store.byKey(key), 'key', key),
    byId,
    byIds: async (ids) => (await Promise.all(ids.map(byId))).filter((loaded) => loaded !== undefined),
    ...(list === undefined ? {} : { list: async () => (await list()).map((input) => checkApp(input)) })
  }
}
