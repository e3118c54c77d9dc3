/**
 * The durable queue: one Redis stream per app (`{keyPrefix}webhooks:{appId}`) read through one consumer
 * group shared by every node. A node reads new entries (XREADGROUP), acknowledges and deletes them once
 * delivered or given up (XACK + XDEL), and keeps the entries it holds alive (XCLAIM … JUSTID resets their
 * idle time). Entries of a consumer that stayed silent for `claimIdleMs` — a node killed mid-retry — are
 * taken over by another node, or the restarted one (XAUTOCLAIM). Delivery is at least once: a taken-over
 * entry may have been sent already; none is lost.
 */
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { Redis } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'
import type { Delivery, PushResult, QueuedDelivery, WebhookQueue } from './types.js'

const GROUP = 'broadcastt-webhooks'
/** How long one XREADGROUP waits for new entries before it looks at the apps' capacity again. */
const BLOCK_MS = 1000
/** Entries one read or claim takes per app at most. */
const READ_COUNT = 100

/** Adds an entry unless the stream already holds `limit` of them. */
const PUSH_SCRIPT = `
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
return redis.call('XADD', KEYS[1], '*', 'url', ARGV[2], 'body', ARGV[3], 'events', ARGV[4], 'created', ARGV[5])`

export interface RedisQueueOptions {
  /** A connection the queue owns (it makes a second one for its blocking reads, and closes both). */
  readonly redis: Redis
  readonly keyPrefix: string
  /** Apps that have webhooks: one stream each (more are added by `watch`). */
  readonly appIds: readonly string[]
  readonly limitPerApp: number
  readonly claimIdleMs: number
  readonly log: FastifyBaseLogger
  /** Consumer name; unique per process by default. */
  readonly consumer?: string
}

type Entry = [id: string, fields: string[] | null]

export class RedisWebhookQueue implements WebhookQueue {
  readonly durable = true
  readonly consumer: string
  readonly #redis: Redis
  readonly #reader: Redis
  readonly #keys: Map<string, string>
  /** Ids this node holds per app, kept alive until acknowledged. */
  readonly #held = new Map<string, Set<string>>()
  #take: (delivery: QueuedDelivery) => void = () => {}
  #capacity: (appId: string) => number = () => 0
  #closed = false
  #claimTimer: NodeJS.Timeout | undefined
  #claiming = false
  #wake: (() => void) | undefined
  #loop: Promise<void> | undefined

  constructor (private readonly options: RedisQueueOptions) {
    this.#redis = options.redis
    this.#reader = options.redis.duplicate()
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`
    this.#keys = new Map(options.appIds.map((id) => [id, `${options.keyPrefix}webhooks:${id}`]))
    // ioredis reconnects by itself; say so once per outage instead of an unhandled 'error' per attempt.
    let reported = false
    for (const client of [this.#redis, this.#reader]) {
      client.on('error', (err: Error) => {
        if (reported || this.#closed) return
        reported = true
        options.log.error({ err }, 'webhook queue: Redis connection error; webhooks wait in Redis until it is back')
      })
      client.on('ready', () => { reported = false })
    }
  }

  /** The stream of an app. */
  key (appId: string): string {
    return this.#keys.get(appId) ?? `${this.options.keyPrefix}webhooks:${appId}`
  }

  async start (take: (delivery: QueuedDelivery) => void, capacity: (appId: string) => number): Promise<void> {
    this.#take = take
    this.#capacity = capacity
    for (const key of this.#keys.values()) await this.#createGroup(key)
    this.#loop = this.#readLoop()
    const every = Math.max(50, Math.floor(this.options.claimIdleMs / 3))
    this.#claimTimer = setInterval(() => { void this.#maintain() }, every)
    this.#claimTimer.unref()
    void this.#maintain()
  }

  async #createGroup (key: string): Promise<void> {
    await this.#redis.call('XGROUP', 'CREATE', key, GROUP, '0', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err
    })
  }

  /** Reads the stream of an app first seen after `start` (an app of a store) from now on. */
  async watch (appId: string): Promise<void> {
    if (this.#keys.has(appId)) return
    const key = this.key(appId)
    await this.#createGroup(key)
    this.#keys.set(appId, key)
  }

  async push (delivery: Delivery): Promise<PushResult> {
    const id = await this.#redis.eval(PUSH_SCRIPT, 1, this.key(delivery.appId), String(this.options.limitPerApp),
      delivery.url, delivery.body, String(delivery.events), String(delivery.createdAt))
    this.#wake?.()
    return id === null ? 'full' : 'queued'
  }

  async ack (delivery: QueuedDelivery): Promise<void> {
    this.#held.get(delivery.appId)?.delete(delivery.id)
    const key = this.key(delivery.appId)
    await this.#redis.multi().xack(key, GROUP, delivery.id).xdel(key, delivery.id).exec()
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#claimTimer)
    this.#wake?.()
    this.#reader.disconnect()
    await this.#loop
    await this.#redis.quit().catch(() => { this.#redis.disconnect() })
  }

  #room (appId: string): number {
    return Math.min(READ_COUNT, this.#capacity(appId))
  }

  async #readLoop (): Promise<void> {
    while (!this.#closed) {
      const apps = [...this.#keys.keys()].filter((id) => this.#room(id) > 0)
      if (apps.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 100)
          this.#wake = () => { clearTimeout(timer); resolve() }
        })
        continue
      }
      const count = Math.min(...apps.map((id) => this.#room(id)))
      try {
        const reply = await this.#reader.call('XREADGROUP', 'GROUP', GROUP, this.consumer, 'COUNT', String(count),
          'BLOCK', String(BLOCK_MS), 'STREAMS', ...apps.map((id) => this.key(id)), ...apps.map(() => '>'))
        for (const [key, entries] of (reply ?? []) as Array<[string, Entry[]]>) {
          const appId = apps.find((id) => this.key(id) === key)
          if (appId !== undefined) await this.#hand(appId, entries)
        }
      } catch (err) {
        if (this.#closed) return
        this.options.log.warn({ err }, 'webhook queue: reading the Redis stream failed; retrying')
        await new Promise((resolve) => setTimeout(resolve, BLOCK_MS).unref())
      }
    }
  }

  /** Keeps this node's entries alive, then takes over entries of silent consumers. */
  async #maintain (): Promise<void> {
    if (this.#claiming || this.#closed) return
    this.#claiming = true
    try {
      for (const [appId, key] of this.#keys) {
        const held = [...this.#held.get(appId) ?? []]
        if (held.length > 0) await this.#redis.call('XCLAIM', key, GROUP, this.consumer, '0', ...held, 'JUSTID')
        await this.#takeOver(appId, key)
      }
    } catch (err) {
      if (!this.#closed) this.options.log.warn({ err }, 'webhook queue: claiming Redis stream entries failed')
    } finally {
      this.#claiming = false
    }
  }

  async #takeOver (appId: string, key: string): Promise<void> {
    let cursor = '0-0'
    do {
      const room = this.#room(appId)
      if (room <= 0 || this.#closed) return
      const reply = await this.#redis.call('XAUTOCLAIM', key, GROUP, this.consumer, String(this.options.claimIdleMs),
        cursor, 'COUNT', String(room)) as [string, Entry[]]
      cursor = reply[0]
      await this.#hand(appId, reply[1])
    } while (cursor !== '0-0')
  }

  async #hand (appId: string, entries: readonly Entry[]): Promise<void> {
    let held = this.#held.get(appId)
    if (held === undefined) {
      held = new Set()
      this.#held.set(appId, held)
    }
    for (const [id, fields] of entries) {
      const delivery = fields === null ? undefined : parseEntry(appId, id, fields)
      if (delivery === undefined) {
        this.options.log.error({ appId, id }, 'webhook queue: dropping a malformed stream entry')
        await this.#redis.multi().xack(this.key(appId), GROUP, id).xdel(this.key(appId), id).exec()
        continue
      }
      held.add(id)
      this.#take(delivery)
    }
  }
}

function parseEntry (appId: string, id: string, fields: readonly string[]): QueuedDelivery | undefined {
  const map = new Map<string, string>()
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string)
  const url = map.get('url')
  const body = map.get('body')
  const events = Number(map.get('events'))
  const createdAt = Number(map.get('created'))
  if (url === undefined || body === undefined || !Number.isFinite(events) || !Number.isFinite(createdAt)) return undefined
  return { id, appId, url, body, events, createdAt }
}
