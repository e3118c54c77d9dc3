/**
 * The apps of one plugin instance: static apps, then a store's apps in a bounded cache. The WebSocket
 * upgrade and the REST signature hook ask `peekKey` / `peekId` first: a static or cached app is answered
 * synchronously (no promise, no query), so only a cold key or id waits on the store (docs/apps.md).
 *
 * - Concurrent misses of one key (or id) share one query; store queries for uncached keys and ids are capped
 *   per second (`appCache.lookupsPerSecond`); a key or id the store does not know is remembered as unknown
 *   for `unknownTtlMs` (at most `maxUnknown` of them).
 * - At most `maxApps` apps are cached, the least recently loaded leaving first. An app older than `ttlMs` is
 *   still served while one background query reloads it, and kept when that fails (the store is down).
 * - `changed(id)` (a NOTIFY, `appChanged`, a TTL refresh) reloads the app and reports it through `onChange`,
 *   which applies it to the app's open connections.
 */
import type { FastifyBaseLogger } from 'fastify'
import { withTimeout } from '../hub/adapter-call.js'
import { errorFields } from '../log-safe.js'
import type { AppConfig } from '../options.js'
import { freezeApp, type App, type AppSource, type Loaded } from './app-store.js'
import type { AppCacheOptions } from './store-options.js'

/** An app answered without waiting; `null` when it is known not to exist; undefined when it must be loaded. */
export type Peek = App | null | undefined

export interface RegistryOptions {
  /** Static apps (the `apps` option), resolved. */
  readonly apps: readonly AppConfig[]
  readonly source?: AppSource | undefined
  readonly cache: AppCacheOptions
  /** Milliseconds one store query may take (the plugin's `adapterTimeoutMs`). */
  readonly timeoutMs: number
  readonly now: () => number
  readonly log: FastifyBaseLogger
}

/** What the registry asks of this node's hub: which apps have connections here. */
export interface AppUsers {
  appConnectionCount (id: string): number
  appIds (): Iterable<string>
}

/** A cached store app and when it was loaded. */
interface Entry {
  readonly app: App
  loadedAt: number
}

/** Ids of a reload query at most. */
const RELOAD_CHUNK = 500
/** Milliseconds between two log lines about failing or refused lookups. */
const LOG_EVERY_MS = 10_000

export class AppRegistry {
  /** Store queries made (loads and reloads), for metrics and the bench. */
  queries = 0
  /** Applies a changed app to this node: the new app, or undefined when it is gone (deleted or unusable). */
  #onChange: (id: string, app: App | undefined) => void = () => {}
  #users: AppUsers | undefined
  readonly #static: readonly App[]
  readonly #staticByKey = new Map<string, App>()
  readonly #staticById = new Map<string, App>()
  readonly #source: AppSource | undefined
  readonly #options: RegistryOptions
  /** Cached store apps by id, oldest load first; `#byKey` indexes the same entries. */
  readonly #byId = new Map<string, Entry>()
  readonly #byKey = new Map<string, Entry>()
  /** Keys and ids the store does not know, until when (ms). */
  readonly #unknownKeys = new Map<string, number>()
  readonly #unknownIds = new Map<string, number>()
  readonly #keyLoads = new Map<string, Promise<App | undefined>>()
  readonly #idLoads = new Map<string, Promise<App | undefined>>()
  readonly #changes = new Map<string, Promise<void>>()
  readonly #again = new Set<string>()
  /** Problems already logged (one line per bad record). */
  readonly #reported = new Set<string>()
  /** Bumped by every change: a load that started before it asks again. */
  #generation = 0
  #tokens: number
  #tokensAt: number
  #ok = true
  #failed = 0
  #refused = 0
  #loggedAt = Number.NEGATIVE_INFINITY

  constructor (options: RegistryOptions) {
    this.#options = options
    this.#source = options.source
    this.#static = options.apps.map(freezeApp)
    for (const app of this.#static) {
      this.#staticByKey.set(app.key, app)
      this.#staticById.set(app.id, app)
    }
    this.#tokens = options.cache.lookupsPerSecond
    this.#tokensAt = options.now()
  }

  /** Whether apps are looked up at run time (a store is configured). */
  get dynamic (): boolean { return this.#source !== undefined }

  /** Static apps, in configuration order. */
  get static (): readonly App[] { return this.#static }

  /** Store apps in the cache. */
  get cached (): number { return this.#byId.size }

  /**
   * False while the store fails or may miss changes: readiness says `degraded`. A store that watches itself
   * (PostgreSQL: probes, LISTEN) says so; a host's store is judged by its last answer.
   */
  available (): boolean {
    const source = this.#source
    return source?.healthy === undefined ? this.#ok : source.healthy()
  }

  /**
   * Wires the registry to this node's hub: changes reload the apps it has connections of, and `onChange`
   * applies each changed app to them.
   */
  attach (users: AppUsers, onChange: (id: string, app: App | undefined) => void): void {
    this.#users = users
    this.#onChange = onChange
  }

  async start (): Promise<void> {
    await this.#source?.start?.(async (ids) => {
      if (ids === undefined) await this.reloadAll()
      else await Promise.all(ids.map(async (id) => { await this.changed(id) }))
    })
  }

  async close (): Promise<void> {
    await this.#source?.close?.()
  }

  peekKey (key: string): Peek {
    const fixed = this.#staticByKey.get(key)
    if (fixed !== undefined) return fixed
    if (this.#source === undefined) return null
    const entry = this.#byKey.get(key)
    if (entry !== undefined) return this.#serve(entry)
    return this.#isUnknown(this.#unknownKeys, key) ? null : undefined
  }

  peekId (id: string): Peek {
    const fixed = this.#staticById.get(id)
    if (fixed !== undefined) return fixed
    if (this.#source === undefined) return null
    const entry = this.#byId.get(id)
    if (entry !== undefined) return this.#serve(entry)
    return this.#isUnknown(this.#unknownIds, id) ? null : undefined
  }

  /** The app of `key`, from the store when it is not cached; undefined when unknown or the store failed. */
  async byKey (key: string): Promise<App | undefined> {
    const known = this.peekKey(key)
    return known !== undefined ? known ?? undefined : await this.#load('key', key)
  }

  async byId (id: string): Promise<App | undefined> {
    const known = this.peekId(id)
    return known !== undefined ? known ?? undefined : await this.#load('id', id)
  }

  /** Static apps, then the store's (when it can list them), a store app sharing a static id or key left out. */
  async list (): Promise<App[]> {
    const list = this.#source?.list
    let listed: Loaded[] = []
    if (list !== undefined) {
      this.queries++
      listed = await withTimeout(list.call(this.#source), this.#options.timeoutMs, 'app list')
    }
    return [...this.#static, ...listed.flatMap((loaded) => {
      const app = this.#usable(loaded)
      return app === undefined ? [] : [app]
    })]
  }

  /**
   * The app changed in its store: forgets what is remembered as unknown and, when this node caches the app or
   * serves connections of it, reloads it and reports it through `onChange`.
   */
  async changed (id: string): Promise<void> {
    this.#generation++
    // A new app, or a new key, may be one remembered as unknown.
    this.#unknownKeys.clear()
    this.#unknownIds.clear()
    const entry = this.#byId.get(id)
    if (entry !== undefined) entry.loadedAt = Number.NEGATIVE_INFINITY // stale until a reload succeeds
    else if ((this.#users?.appConnectionCount(id) ?? 0) === 0) return
    await this.#refresh(id, true)
  }

  /** Resolves once the reload of an app's change that is running (if any) is done. */
  async settled (id: string): Promise<void> {
    await this.#changes.get(id)
  }

  /**
   * Reloads every cached app and every app with connections here (notifications may have been missed);
   * rejects when the store did not answer.
   */
  async reloadAll (): Promise<void> {
    this.#generation++
    this.#unknownKeys.clear()
    this.#unknownIds.clear()
    const ids = [...new Set([...this.#byId.keys(), ...this.#users?.appIds() ?? []])].filter((id) => !this.#staticById.has(id))
    for (let i = 0; i < ids.length; i += RELOAD_CHUNK) {
      if (!await this.#reload(ids.slice(i, i + RELOAD_CHUNK))) throw new Error('app store: the reload failed')
    }
  }

  /**
   * One reload of an app at a time. `again`: a change arrived, so a reload already running (which may have
   * read the row before it) is followed by another; a TTL refresh just joins it.
   */
  async #refresh (id: string, again: boolean): Promise<void> {
    const running = this.#changes.get(id)
    if (running !== undefined) {
      if (again) this.#again.add(id)
      await running
      return
    }
    const work = (async () => {
      do {
        this.#again.delete(id)
        await this.#reload([id])
      } while (this.#again.has(id))
    })().finally(() => { this.#changes.delete(id) })
    this.#changes.set(id, work)
    await work
  }

  /** The latest version of an app admitted earlier: null when it is gone by now. */
  current (app: App): App | null {
    if (this.#staticById.get(app.id) === app) return app
    const entry = this.#byId.get(app.id)
    if (entry !== undefined) return entry.app
    return this.#isUnknown(this.#unknownIds, app.id) ? null : app
  }

  #serve (entry: Entry): App {
    const now = this.#options.now()
    if (now - entry.loadedAt > this.#options.cache.ttlMs) {
      entry.loadedAt = now // one background reload per TTL, whatever its outcome
      void this.#refresh(entry.app.id, false)
    }
    return entry.app
  }

  #isUnknown (map: Map<string, number>, value: string): boolean {
    const until = map.get(value)
    if (until === undefined) return false
    if (until > this.#options.now()) return true
    map.delete(value)
    return false
  }

  #rememberUnknown (map: Map<string, number>, value: string): void {
    const { unknownTtlMs, maxUnknown } = this.#options.cache
    if (unknownTtlMs === 0 || maxUnknown === 0) return
    map.delete(value)
    map.set(value, this.#options.now() + unknownTtlMs)
    if (map.size > maxUnknown) map.delete(map.keys().next().value as string)
  }

  #load (field: 'key' | 'id', value: string): Promise<App | undefined> {
    const loads = field === 'key' ? this.#keyLoads : this.#idLoads
    const running = loads.get(value)
    if (running !== undefined) return running
    if (!this.#takeToken()) {
      this.#refused++
      this.#logTrouble()
      return Promise.resolve(undefined)
    }
    const load = this.#fetch(field, value).finally(() => { loads.delete(value) })
    loads.set(value, load)
    return load
  }

  async #fetch (field: 'key' | 'id', value: string): Promise<App | undefined> {
    const source = this.#source as AppSource
    for (let attempt = 0; ; attempt++) {
      const generation = this.#generation
      const loaded = await this.#ask(field === 'key' ? source.byKey(value) : source.byId(value), `app lookup by ${field}`)
      if (loaded === false) return undefined
      // An app changed while this query ran: its answer may predate the change, so ask again (twice at most).
      if (generation !== this.#generation && attempt < 2) continue
      if (loaded === undefined) {
        this.#rememberUnknown(field === 'key' ? this.#unknownKeys : this.#unknownIds, value)
        return undefined
      }
      const app = this.#usable(loaded)
      if (app === undefined) this.#rememberUnknown(field === 'key' ? this.#unknownKeys : this.#unknownIds, value)
      else this.#cache(app)
      return app
    }
  }

  /** One store query, bounded by the timeout; false when it failed (logged, readiness degraded). */
  async #ask<T> (query: Promise<T>, operation: string): Promise<T | false> {
    this.queries++
    try {
      const result = await withTimeout(query, this.#options.timeoutMs, operation)
      if (!this.#ok) this.#options.log.info('app store: answering again')
      this.#ok = true
      return result
    } catch (error) {
      if (this.#ok) {
        this.#options.log.error({ err: errorFields(error) }, 'app store: query failed; cached apps are served, others are refused until it answers')
        this.#loggedAt = this.#options.now()
      } else this.#failed++
      this.#ok = false
      this.#logTrouble()
      return false
    }
  }

  /** At most one line per LOG_EVERY_MS about lookups that failed or were refused since the last one. */
  #logTrouble (): void {
    const now = this.#options.now()
    if (now - this.#loggedAt < LOG_EVERY_MS || (this.#failed === 0 && this.#refused === 0)) return
    this.#loggedAt = now
    this.#options.log.warn({ failed: this.#failed, refused: this.#refused },
      'app store: lookups failed (store unreachable) or refused (over appCache.lookupsPerSecond); answered as unknown')
    this.#failed = 0
    this.#refused = 0
  }

  #takeToken (): boolean {
    const now = this.#options.now()
    const rate = this.#options.cache.lookupsPerSecond
    this.#tokens = Math.min(rate, this.#tokens + (now - this.#tokensAt) * rate / 1000)
    this.#tokensAt = now
    if (this.#tokens < 1) return false
    this.#tokens--
    return true
  }

  /** The app of a record, or undefined when it is unusable or shadowed by a static app (logged once). */
  #usable (loaded: Loaded): App | undefined {
    if (!loaded.ok) {
      this.#report(loaded.id, loaded.problem)
      return undefined
    }
    const { app } = loaded
    if (this.#staticById.has(app.id) || this.#staticByKey.has(app.key)) {
      this.#report(app.id, 'a static app has its id or key (static apps win)')
      return undefined
    }
    return app
  }

  #report (id: string, problem: string): void {
    const line = `${id}\n${problem}`
    if (this.#reported.has(line)) return
    if (this.#reported.size >= this.#options.cache.maxUnknown) this.#reported.clear()
    this.#reported.add(line)
    this.#options.log.error({ appId: id, problem }, `app store: app ${id.slice(0, 100)} skipped: ${problem}`)
  }

  #cache (app: App): void {
    this.#drop(app.id)
    const moved = this.#byKey.get(app.key) // another app held this key: its entry is out of date
    if (moved !== undefined) this.#drop(moved.app.id)
    const entry: Entry = { app, loadedAt: this.#options.now() }
    this.#byId.set(app.id, entry)
    this.#byKey.set(app.key, entry)
    if (this.#byId.size > this.#options.cache.maxApps) this.#drop(this.#byId.keys().next().value as string)
  }

  #drop (id: string): void {
    const entry = this.#byId.get(id)
    if (entry === undefined) return
    this.#byId.delete(id)
    if (this.#byKey.get(entry.app.key) === entry) this.#byKey.delete(entry.app.key)
  }

  /** Reloads apps by id and reports each through `onChange`; false when that failed (they stay as they were). */
  async #reload (ids: readonly string[]): Promise<boolean> {
    const source = this.#source as AppSource
    const loaded = await this.#ask(source.byIds(ids), 'app reload')
    if (loaded === false) return false
    const found = new Map<string, Loaded>()
    for (const record of loaded) found.set(record.ok ? record.app.id : record.id, record)
    for (const id of ids) {
      const record = found.get(id)
      const app = record === undefined ? undefined : this.#usable(record)
      if (app === undefined) {
        this.#drop(id)
        this.#rememberUnknown(this.#unknownIds, id)
      } else this.#cache(app)
      this.#onChange(id, app)
    }
    return true
  }
}
