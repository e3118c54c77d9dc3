/**
 * What a Redis node owns: the channels it serves, its presence memberships, signed-in connections and
 * connection counts. The adapter keeps this mirror in memory so it can write it back whenever Redis lost
 * it or this node's records were removed (a reconnection, a restarted Redis or shard, a node reaped while it
 * was partitioned away), and so local clients keep being served while Redis is down. Also removes a dead
 * node's records (`reapNode`), slot by slot.
 */
import { channelType } from '../protocol/channel-name.js'
import type { ChannelCounts, Decisions, PresenceMember } from './adapter.js'
import type { RedisKeys } from './redis-keys.js'
import { SCRIPTS, type RedisClient } from './redis-scripts.js'

type DecisionLists = { -readonly [K in keyof Decisions]-?: Array<NonNullable<Decisions[K]>[number]> }

export const fieldOf = (...parts: string[]): string => parts.join('\n')

const split = (field: string): [string, string] => {
  const i = field.indexOf('\n')
  return [field.slice(0, i), field.slice(i + 1)]
}

export class OwnedState {
  readonly channels = new Map<string, { appId: string, channel: string }>()
  readonly members = new Map<string, { appId: string, channel: string, socketId: string, member: PresenceMember }>()
  readonly users = new Map<string, { appId: string, userId: string, socketId: string }>()
  readonly connections = new Map<string, number>()
  /** Presence members per "app\nchannel". */
  readonly memberChannels = new Map<string, number>()

  addMember (appId: string, channel: string, socketId: string, member: PresenceMember): void {
    const field = fieldOf(appId, channel, socketId)
    if (this.members.has(field)) return
    this.members.set(field, { appId, channel, socketId, member })
    const key = fieldOf(appId, channel)
    this.memberChannels.set(key, (this.memberChannels.get(key) ?? 0) + 1)
  }

  /** False when this node had no such member. */
  removeMember (appId: string, channel: string, socketId: string): boolean {
    if (!this.members.delete(fieldOf(appId, channel, socketId))) return false
    const key = fieldOf(appId, channel)
    const left = (this.memberChannels.get(key) ?? 1) - 1
    if (left > 0) this.memberChannels.set(key, left)
    else this.memberChannels.delete(key)
    return true
  }

  /** Whether the node has anything in the channel (a subscription or presence members): its index entry. */
  inChannel (field: string): boolean {
    return this.channels.has(field) || this.memberChannels.has(field)
  }

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

  /** Apps the node has records of (signed-in connections, connection counts). */
  apps (): Set<string> {
    const out = new Set(this.connections.keys())
    for (const { appId } of this.users.values()) out.add(appId)
    return out
  }
}

export const emptyDecisions = (): DecisionLists =>
  ({ occupied: [], vacated: [], added: [], removed: [], online: [], offline: [] })

export const hasDecisions = (d: Decisions): boolean => Object.values(d).some((list: unknown[]) => list.length > 0)

const strings = (value: unknown): string[] => Array.isArray(value) ? value.map(String) : []

/** Removes a node from one channel (its subscription and presence members), recording what that decided. */
async function reapChannel (client: RedisClient, keys: RedisKeys, node: string, appId: string, channel: string,
  out: DecisionLists): Promise<void> {
  const reply = await SCRIPTS.reapChannel.run(client, [keys.prefix, node, appId, channel], [keys.channel(appId, channel)])
  const [vacated, removed] = Array.isArray(reply) ? [reply[0], strings(reply[1])] : [0, []]
  await client.srem(keys.occupied(appId), fieldOf(channel, node))
  if (vacated === 1) out.vacated.push({ appId, channel })
  for (let i = 0; i + 1 < removed.length; i += 2) {
    out.removed.push({ appId, channel, userId: removed[i] ?? '', seq: Number(removed[i + 1]) })
  }
}

/** Removes a node's signed-in connections and connection count of one app, recording who went offline. */
async function reapApp (client: RedisClient, keys: RedisKeys, node: string, appId: string, out: DecisionLists): Promise<void> {
  const offline = strings(await SCRIPTS.reapApp.run(client, [keys.prefix, node, appId], [keys.app(appId)]))
  for (const userId of offline) out.offline.push({ appId, userId })
}

/**
 * Removes the records of `node` (expired, or this node closing when `force`) and returns what that decided;
 * nothing when the node is alive or another survivor is removing it. Each step is idempotent: a survivor
 * that dies midway leaves the rest to the next one once its lease (`leaseMs`) runs out.
 */
export async function reapNode (client: RedisClient, keys: RedisKeys, node: string, force: boolean, leaseMs: number):
Promise<Decisions> {
  const out = emptyDecisions()
  if (await SCRIPTS.claim.run(client, [keys.prefix, node, force ? '1' : '0', leaseMs], [keys.nodes]) !== 1) return out
  const [channels, apps] = await Promise.all([client.smembers(keys.nodeChannels(node)), client.smembers(keys.nodeApps(node))])
  await Promise.all([
    ...channels.map(async (field) => { await reapChannel(client, keys, node, ...split(field), out) }),
    ...apps.map(async (appId) => { await reapApp(client, keys, node, appId, out) })
  ])
  await client.del(keys.nodeChannels(node), keys.nodeApps(node))
  await SCRIPTS.forget.run(client, [keys.prefix, node], [keys.nodes])
  return out
}

/**
 * Makes Redis hold exactly what this node owns: removes its records that are no longer true (deciding
 * vacated / member_removed / offline) and writes back those that are missing (deciding occupied /
 * member_added / online), then its connection counts. Every step is idempotent, so it is safe to run
 * whenever any part of Redis may have lost data.
 */
export async function restoreOwned (client: RedisClient, keys: RedisKeys, node: string, state: OwnedState,
  localCount: (appId: string, channel: string) => number): Promise<Decisions> {
  const out = emptyDecisions()
  const P = keys.prefix
  const localChannels = new Set([...state.channels.keys(), ...state.memberChannels.keys()])
  const localApps = state.apps()
  if (localChannels.size > 0) await client.sadd(keys.nodeChannels(node), ...localChannels)
  if (localApps.size > 0) await client.sadd(keys.nodeApps(node), ...localApps)
  const [indexedChannels, indexedApps] = await Promise.all([
    client.smembers(keys.nodeChannels(node)), client.smembers(keys.nodeApps(node))
  ])
  const work: Array<Promise<void>> = []
  for (const field of indexedChannels) {
    if (localChannels.has(field)) continue
    const [appId, channel] = split(field)
    work.push(reapChannel(client, keys, node, appId, channel, out).then(async () => {
      await client.srem(keys.nodeChannels(node), field)
    }))
  }
  for (const field of localChannels) {
    const [appId, channel] = split(field)
    const route = [keys.channel(appId, channel)]
    if (state.channels.has(field)) {
      work.push((async () => {
        const [occupied] = await Promise.all([
          SCRIPTS.subscribe.run(client, [P, node, appId, channel, localCount(appId, channel)], route),
          client.sadd(keys.occupied(appId), fieldOf(channel, node))
        ])
        if (occupied === 1) out.occupied.push({ appId, channel })
      })())
    } else {
      work.push((async () => {
        const [vacated] = await Promise.all([
          SCRIPTS.unsubscribe.run(client, [P, node, appId, channel], route),
          client.srem(keys.occupied(appId), fieldOf(channel, node))
        ])
        if (vacated === 1) out.vacated.push({ appId, channel })
      })())
    }
    work.push((async () => {
      const sockets = strings(await SCRIPTS.nodeMembers.run(client, [P, node, appId, channel], route))
      await Promise.all(sockets.filter((socketId) => !state.members.has(fieldOf(appId, channel, socketId))).map(async (socketId) => {
        const r = await SCRIPTS.removeMember.run(client, [P, node, appId, channel, socketId], route)
        if (Array.isArray(r)) out.removed.push({ appId, channel, userId: String(r[0]), seq: Number(r[1]) })
      }))
    })())
  }
  for (const { appId, channel, socketId, member } of state.members.values()) {
    work.push((async () => {
      const r = await SCRIPTS.addMember.run(client,
        [P, node, appId, channel, socketId, member.id, JSON.stringify(member.info ?? null), Number.MAX_SAFE_INTEGER],
        [keys.channel(appId, channel)])
      if (Array.isArray(r) && r[0] === 1) out.added.push({ appId, channel, member, seq: Number(r[1]) })
    })())
  }
  for (const appId of new Set([...indexedApps, ...localApps])) {
    const route = [keys.app(appId)]
    work.push((async () => {
      const fields = strings(await SCRIPTS.nodeUsers.run(client, [P, node, appId], route))
      await Promise.all(fields.filter((f) => !state.users.has(fieldOf(appId, f))).map(async (f) => {
        const [userId, socketId] = split(f)
        if (await SCRIPTS.removeUser.run(client, [P, node, appId, userId, socketId], route) === 1) out.offline.push({ appId, userId })
      }))
      await SCRIPTS.setConnections.run(client, [P, node, appId, state.localConnections(appId)], route)
      if (!localApps.has(appId)) await client.srem(keys.nodeApps(node), appId)
    })())
  }
  for (const { appId, userId, socketId } of state.users.values()) {
    work.push((async () => {
      if (await SCRIPTS.addUser.run(client, [P, node, appId, userId, socketId], [keys.app(appId)]) === 1) out.online.push({ appId, userId })
    })())
  }
  await Promise.all(work)
  return out
}

/** A channel's cluster-wide counts. */
export async function readChannel (client: RedisClient, keys: RedisKeys, appId: string, channel: string): Promise<ChannelCounts> {
  const [subscriptions, users] = await SCRIPTS.channel.run(client, [keys.prefix, appId, channel], [keys.channel(appId, channel)]) as [number, number]
  return countsOf(channel, subscriptions, users)
}

/** The app's occupied channels whose name starts with `prefix`, with their counts. */
export async function readChannels (client: RedisClient, keys: RedisKeys, appId: string, prefix: string): Promise<Map<string, ChannelCounts>> {
  const names = new Set<string>()
  for (const field of await client.smembers(keys.occupied(appId))) {
    const name = field.slice(0, field.lastIndexOf('\n'))
    if (name.startsWith(prefix)) names.add(name)
  }
  const list = [...names]
  const counts = await Promise.all(list.map(async (name) => await readChannel(client, keys, appId, name)))
  return new Map(counts.map((c, i) => [list[i] as string, c]))
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
