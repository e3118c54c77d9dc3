/**
 * What a Redis node owns: the channels it serves, its presence memberships, signed-in connections and
 * connection counts. The adapter keeps this mirror in memory so it can write it back whenever Redis lost
 * it or this node's records were removed (a reconnection, a restarted Redis, a node reaped while it was
 * partitioned away), and so local clients keep being served while Redis is down.
 */
import type { Redis } from 'ioredis'
import { channelType } from '../protocol/channel-name.js'
import type { ChannelCounts, Decisions, PresenceMember } from './adapter.js'
import { SCRIPTS } from './redis-scripts.js'

type DecisionLists = { -readonly [K in keyof Decisions]-?: Array<NonNullable<Decisions[K]>[number]> }

export const fieldOf = (...parts: string[]): string => parts.join('\n')

export class OwnedState {
  readonly channels = new Map<string, { appId: string, channel: string }>()
  readonly members = new Map<string, { appId: string, channel: string, socketId: string, member: PresenceMember }>()
  readonly users = new Map<string, { appId: string, userId: string, socketId: string }>()
  readonly connections = new Map<string, number>()

  addConnection (appId: string): void {
    this.connections.set(appId, (this.connections.get(appId) ?? 0) + 1)
  }

  /** False when this node had not counted a connection of the app. */
  removeConnection (appId: string): boolean {
    const count = this.connections.get(appId) ?? 0
    if (count === 0) return false
    if (count === 1) this.connections.delete(appId)
    else this.connections.set(appId, count - 1)
    return true
  }

  localConnections (appId: string): number {
    return this.connections.get(appId) ?? 0
  }
}

const emptyDecisions = (): DecisionLists =>
  ({ occupied: [], vacated: [], added: [], removed: [], online: [], offline: [] })

export const hasDecisions = (d: Decisions): boolean => Object.values(d).some((list: unknown[]) => list.length > 0)

const strings = (value: unknown): string[] => Array.isArray(value) ? value.map(String) : []

/** Parses REAP's answer (nil when another node reaped first). */
export function reapDecisions (reply: unknown): Decisions {
  const out = emptyDecisions()
  if (!Array.isArray(reply)) return out
  const [vacated, removed, offline] = reply.map(strings) as [string[], string[], string[]]
  for (let i = 0; i + 1 < vacated.length; i += 2) out.vacated.push({ appId: vacated[i] ?? '', channel: vacated[i + 1] ?? '' })
  for (let i = 0; i + 3 < removed.length; i += 4) {
    out.removed.push({ appId: removed[i] ?? '', channel: removed[i + 1] ?? '', userId: removed[i + 2] ?? '', seq: Number(removed[i + 3]) })
  }
  for (let i = 0; i + 1 < offline.length; i += 2) out.offline.push({ appId: offline[i] ?? '', userId: offline[i + 1] ?? '' })
  return out
}

/**
 * Makes Redis hold exactly what this node owns: removes its records that are no longer true (deciding
 * vacated / member_removed / offline) and writes back those that are missing (deciding occupied /
 * member_added / online), then its connection counts.
 */
export async function restoreOwned (client: Redis, prefix: string, node: string, state: OwnedState,
  localCount: (appId: string, channel: string) => number): Promise<Decisions> {
  const out = emptyDecisions()
  const [channels, members, users] = (await SCRIPTS.owned.run(client, [prefix, node]) as unknown[]).map(strings) as
    [string[], string[], string[]]
  const work: Array<Promise<void>> = []
  const run = (script: keyof typeof SCRIPTS, args: Array<string | number>, then: (reply: unknown) => void): void => {
    work.push(SCRIPTS[script].run(client, [prefix, node, ...args]).then(then))
  }
  for (const field of channels) {
    if (state.channels.has(field)) continue
    const [appId = '', channel = ''] = field.split('\n')
    run('unsubscribe', [appId, channel], (r) => { if (r === 1) out.vacated.push({ appId, channel }) })
  }
  for (const field of members) {
    if (state.members.has(field)) continue
    const [appId = '', channel = '', socketId = ''] = field.split('\n')
    run('removeMember', [appId, channel, socketId], (r) => {
      if (Array.isArray(r)) out.removed.push({ appId, channel, userId: String(r[0]), seq: Number(r[1]) })
    })
  }
  for (const field of users) {
    if (state.users.has(field)) continue
    const [appId = '', userId = '', socketId = ''] = field.split('\n')
    run('removeUser', [appId, userId, socketId], (r) => { if (r === 1) out.offline.push({ appId, userId }) })
  }
  for (const { appId, channel } of state.channels.values()) {
    run('subscribe', [appId, channel, localCount(appId, channel)], (r) => { if (r === 1) out.occupied.push({ appId, channel }) })
  }
  for (const { appId, channel, socketId, member } of state.members.values()) {
    run('addMember', [appId, channel, socketId, member.id, JSON.stringify(member.info), Number.MAX_SAFE_INTEGER], (r) => {
      if (Array.isArray(r) && r[0] === 1) out.added.push({ appId, channel, member, seq: Number(r[1]) })
    })
  }
  for (const { appId, userId, socketId } of state.users.values()) {
    run('addUser', [appId, userId, socketId], (r) => { if (r === 1) out.online.push({ appId, userId }) })
  }
  for (const [appId, count] of state.connections) run('setConnections', [appId, count], () => {})
  await Promise.all(work)
  return out
}

export function countsOf (channel: string, subscriptionCount: number, userCount: number): ChannelCounts {
  return channelType(channel).kind === 'presence' ? { subscriptionCount, userCount } : { subscriptionCount }
}

/** `[user, info JSON, user, info JSON, ...]` or `{ user: info JSON }` → members. */
export function membersOf (reply: ReadonlyArray<string | number> | Record<string, string>): PresenceMember[] {
  const pairs: Array<[string, string]> = []
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) pairs.push([String(reply[i]), String(reply[i + 1])])
  } else {
    for (const [id, info] of Object.entries(reply)) pairs.push([id, String(info)])
  }
  return pairs.map(([id, info]) => ({ id, info: parseInfo(info) }))
}

function parseInfo (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
