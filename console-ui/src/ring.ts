/** The log's memory: the last `LOG_LIMIT` entries, and the filters applied to them. */
import type { Entry, Kind } from './types.js'

export const LOG_LIMIT = 1000

export class Ring {
  #items: Entry[] = []
  #seq = 0
  /** Entries added since the last `take`. */
  added = 0

  push (entry: Entry): void {
    entry.seq = ++this.#seq
    this.#items.push(entry)
    if (this.#items.length > LOG_LIMIT) this.#items.splice(0, this.#items.length - LOG_LIMIT)
    this.added++
  }

  clear (): void {
    this.#items = []
  }

  /** The entries, oldest first (a copy). */
  snapshot (): Entry[] {
    return this.#items.slice()
  }
}

export interface Filters {
  kinds: ReadonlySet<Kind>
  /** Channel name prefix; entries without a channel are hidden while it is set. */
  prefix: string
}

export function channelsOf (entry: Entry): string[] {
  if (entry.channels !== undefined) return entry.channels
  return entry.channel === undefined ? [] : [entry.channel]
}

export function visible (entry: Entry, filters: Filters): boolean {
  if (entry.kind === 'notice') return true
  if (!filters.kinds.has(entry.kind)) return false
  if (filters.prefix === '') return true
  return channelsOf(entry).some((channel) => channel.startsWith(filters.prefix))
}
