/**
 * Feeds the open console tabs from the hub. The hub listeners are attached when the first tab opens and
 * removed when the last one closes, so with no tab open the console costs the hub nothing (the events that
 * exist only for it are not even built: `SafeEmitter.has`). Each hub event becomes one JSON entry, made
 * once and queued on every tab of its app; a timer writes the queues every `FLUSH_MS` and, every
 * `STATS_MS`, each app's counts on this node.
 */
import type { App } from '../apps/app-store.js'
import type { HubEvents } from '../hub/events.js'
import type { Hub } from '../hub/hub.js'
import { entryJson, FOLLOWED, type EntryKind, type FollowedEvent } from './entries.js'
import { sseMessage, type SseClient } from './stream.js'

export const FLUSH_MS = 100
export const STATS_MS = 1000

/** An app as the console lists it, with its counts on this node. */
export interface AppSummary {
  id: string
  key: string
  name?: string | undefined
  enabled: boolean
  connections: number
  channels: number
  subscriptions: number
}

export function summary (hub: Hub, app: App): AppSummary {
  return {
    id: app.id,
    key: app.key,
    name: app.name,
    enabled: app.enabled,
    connections: hub.appConnectionCount(app.id),
    ...hub.localStats(app.id)
  }
}

type Listener = (payload: { appId?: string | undefined }) => void

export class ConsoleFeed {
  readonly #tabs = new Map<string, Set<SseClient>>()
  readonly #listeners: Array<[FollowedEvent, Listener]> = []
  #timer: NodeJS.Timeout | undefined
  #ticks = 0

  constructor (private readonly hub: Hub, private readonly listApps: () => Promise<App[]>,
    private readonly onError: (error: unknown) => void) {}

  get tabs (): number {
    let n = 0
    for (const set of this.#tabs.values()) n += set.size
    return n
  }

  add (tab: SseClient): void {
    if (this.tabs === 0) this.#start()
    let set = this.#tabs.get(tab.appId)
    if (set === undefined) this.#tabs.set(tab.appId, set = new Set())
    set.add(tab)
  }

  remove (tab: SseClient): void {
    const set = this.#tabs.get(tab.appId)
    if (set === undefined || !set.delete(tab)) return
    if (set.size === 0) this.#tabs.delete(tab.appId)
    if (this.tabs === 0) this.#stop()
  }

  /** Ends every tab (the server is closing). */
  close (): void {
    for (const set of [...this.#tabs.values()]) {
      for (const tab of [...set]) {
        tab.flush()
        tab.end()
        this.remove(tab)
      }
    }
  }

  #start (): void {
    for (const [type, kind] of Object.entries(FOLLOWED) as Array<[FollowedEvent, EntryKind]>) {
      const listener: Listener = (payload) => { this.#entry(type, kind, payload) }
      this.hub.events.on(type, listener as (...args: HubEvents[FollowedEvent]) => void)
      this.#listeners.push([type, listener])
    }
    this.#ticks = 0
    this.#timer = setInterval(() => { this.#tick() }, FLUSH_MS)
    this.#timer.unref()
  }

  #stop (): void {
    for (const [type, listener] of this.#listeners.splice(0)) {
      this.hub.events.off(type, listener as (...args: HubEvents[FollowedEvent]) => void)
    }
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  #entry (type: FollowedEvent, kind: EntryKind, payload: { appId?: string | undefined }): void {
    const tabs = payload.appId === undefined ? undefined : this.#tabs.get(payload.appId)
    if (tabs === undefined) return
    const message = sseMessage('entry', entryJson(type, kind, payload, Date.now()))
    for (const tab of tabs) tab.push(message)
  }

  #tick (): void {
    if (++this.#ticks % (STATS_MS / FLUSH_MS) === 1) {
      this.#stats().catch(this.onError)
    }
    for (const set of this.#tabs.values()) for (const tab of set) tab.flush()
  }

  async #stats (): Promise<void> {
    const apps = await this.listApps()
    const message = sseMessage('stats', JSON.stringify({ time: Date.now(), apps: apps.map((app) => summary(this.hub, app)) }))
    for (const set of this.#tabs.values()) for (const tab of set) tab.push(message)
  }
}
