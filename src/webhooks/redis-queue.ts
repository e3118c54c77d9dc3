/**
 * The durable queue: one Redis stream per app and cause (`{keyPrefix}webhooks:{appId}:{cause}`, on Redis
 * Cluster `{keyPrefix}{webhooks}:{appId}:{cause}`: one hash slot, so one XREADGROUP reads them all; each bounded
 * by `limitPerApp`) read through one consumer group shared by every node. A node reads new entries (XREADGROUP), acknowledges and deletes them once
 * delivered or given up (XACK + XDEL), and keeps the entries it holds alive (XCLAIM … JUSTID resets their
 * idle time). Entries of a consumer that stayed silent for `claimIdleMs` — a node killed mid-retry — are
 * taken over by another node, or the restarted one (XAUTOCLAIM). Delivery is at least once: a taken-over
 * entry may have been sent already; none is lost.
 */
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { FastifyBaseLogger } from 'fastify'
import { WEBHOOK_CAUSES, type Delivery, type PushResult, type QueuedDelivery, type WebhookCause, type WebhookQueue } from './types.js'
import { errorFields } from '../log-safe.js'
import type { RedisClient } from '../adapters/redis-scripts.js'

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
  readonly redis: RedisClient
  readonly keyPrefix: string
  /** On Redis Cluster: every stream in one hash slot (`{webhooks}`). */
  readonly cluster?: boolean
  /** Apps that have webhooks: one stream per cause each (more are added by `watch`). */
  readonly appIds: readonly string[]
  readonly limitPerApp: number
  readonly claimIdleMs: number
  readonly log: FastifyBaseLogger
  /** Consumer name; unique per process by default. */
  readonly consumer?: string
}

type Entry = [id: string, fields: string[] | null]

/** One stream: an app's deliveries of one cause. */
interface Lane { readonly appId: string, readonly cause: WebhookCause, readonly key: string }

export class RedisWebhookQueue implements WebhookQueue {
  readonly durable = true
  readonly consumer: string
  readonly #redis: RedisClient
  readonly #reader: RedisClient
  /** The streams, by key. */
  readonly #lanes: Map<string, Lane>
  /** Ids this node holds per stream, kept alive until acknowledged. */
  readonly #held = new Map<string, Set<string>>()
  #take: (delivery: QueuedDelivery) => void = () => {}
  #capacity: (appId: string, cause: WebhookCause) => number = () => 0
  #closed = false
  #claimTimer: NodeJS.Timeout | undefined
  #claiming = false
  #wake: (() => void) | undefined
  #loop: Promise<void> | undefined

  constructor (private readonly options: RedisQueueOptions) {
    this.#redis = options.redis
    this.#reader = options.redis.duplicate()
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`
    this.#lanes = new Map(options.appIds.flatMap((appId) => WEBHOOK_CAUSES.map((cause) => {
      const key = this.key(appId, cause)
      return [key, { appId, cause, key }] as const
    })))
    // ioredis reconnects by itself; say so once per outage instead of an unhandled 'error' per attempt.
    let reported = false
    for (const client of [this.#redis, this.#reader]) {
      client.on('error', (err: Error) => {
        if (reported || this.#closed) return
        reported = true
        options.log.error({ err: errorFields(err) }, 'webhook queue: Redis connection error; webhooks wait in Redis until it is back')
      })
      client.on('ready', () => { reported = false })
    }
  }

  /** The stream of an app's deliveries of one cause. */
  key (appId: string, cause: WebhookCause): string {
    return `${this.options.keyPrefix}${this.options.cluster === true ? '{webhooks}' : 'webhooks'}:${appId}:${cause}`
  }

  async start (take: (delivery: QueuedDelivery) => void, capacity: (appId: string, cause: WebhookCause) => number): Promise<void> {
    this.#take = take
    this.#capacity = capacity
    for (const key of this.#lanes.keys()) await this.#createGroup(key)
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

  /** Reads the streams of an app first seen after `start` (an app of a store) from now on. */
  async watch (appId: string): Promise<void> {
    for (const cause of WEBHOOK_CAUSES) {
      const key = this.key(appId, cause)
      if (this.#lanes.has(key)) continue
      await this.#createGroup(key)
      this.#lanes.set(key, { appId, cause, key })
    }
  }

  async push (delivery: Delivery): Promise<PushResult> {
    const id = await this.#redis.eval(PUSH_SCRIPT, 1, this.key(delivery.appId, delivery.cause), String(this.options.limitPerApp),
      delivery.url, delivery.body, String(delivery.events), String(delivery.createdAt))
    this.#wake?.()
    return id === null ? 'full' : 'queued'
  }

  async ack (delivery: QueuedDelivery): Promise<void> {
    const key = this.key(delivery.appId, delivery.cause)
    this.#held.get(key)?.delete(delivery.id)
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

  #room (lane: Lane): number {
    return Math.min(READ_COUNT, this.#capacity(lane.appId, lane.cause))
  }

  async #readLoop (): Promise<void> {
    while (!this.#closed) {
      const lanes = [...this.#lanes.values()].filter((lane) => this.#room(lane) > 0)
      if (lanes.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 100)
          this.#wake = () => { clearTimeout(timer); resolve() }
        })
        continue
      }
      const count = Math.min(...lanes.map((lane) => this.#room(lane)))
      try {
        const reply = await this.#reader.call('XREADGROUP', 'GROUP', GROUP, this.consumer, 'COUNT', String(count),
          'BLOCK', String(BLOCK_MS), 'STREAMS', ...lanes.map((lane) => lane.key), ...lanes.map(() => '>'))
        for (const [key, entries] of (reply ?? []) as Array<[string, Entry[]]>) {
          const lane = this.#lanes.get(key)
          if (lane !== undefined) await this.#hand(lane, entries)
        }
      } catch (err) {
        if (this.#closed) return
        this.options.log.warn({ err: errorFields(err) }, 'webhook queue: reading the Redis stream failed; retrying')
        // Redis came back without the consumer groups (restarted empty): create them again, or no read succeeds.
        if (err instanceof Error && err.message.startsWith('NOGROUP')) {
          for (const key of this.#lanes.keys()) await this.#createGroup(key).catch(() => {})
        }
        await new Promise((resolve) => setTimeout(resolve, BLOCK_MS).unref())
      }
    }
  }

  /** Keeps this node's entries alive, then takes over entries of silent consumers. */
  async #maintain (): Promise<void> {
    if (this.#claiming || this.#closed) return
    this.#claiming = true
    try {
      for (const lane of this.#lanes.values()) {
        const held = [...this.#held.get(lane.key) ?? []]
        if (held.length > 0) await this.#redis.call('XCLAIM', lane.key, GROUP, this.consumer, '0', ...held, 'JUSTID')
        await this.#takeOver(lane)
      }
    } catch (err) {
      if (!this.#closed) this.options.log.warn({ err: errorFields(err) }, 'webhook queue: claiming Redis stream entries failed')
    } finally {
      this.#claiming = false
    }
  }

  async #takeOver (lane: Lane): Promise<void> {
    let cursor = '0-0'
    do {
      const room = this.#room(lane)
      if (room <= 0 || this.#closed) return
      const reply = await this.#redis.call('XAUTOCLAIM', lane.key, GROUP, this.consumer, String(this.options.claimIdleMs),
        cursor, 'COUNT', String(room)) as [string, Entry[]]
      cursor = reply[0]
      await this.#hand(lane, reply[1])
    } while (cursor !== '0-0')
  }

  async #hand (lane: Lane, entries: readonly Entry[]): Promise<void> {
    let held = this.#held.get(lane.key)
    if (held === undefined) {
      held = new Set()
      this.#held.set(lane.key, held)
    }
    for (const [id, fields] of entries) {
      const delivery = fields === null ? undefined : parseEntry(lane, id, fields)
      if (delivery === undefined) {
        this.options.log.error({ appId: lane.appId, cause: lane.cause, id }, 'webhook queue: dropping a malformed stream entry')
        await this.#redis.multi().xack(lane.key, GROUP, id).xdel(lane.key, id).exec()
        continue
      }
      held.add(id)
      this.#take(delivery)
    }
  }
}

function parseEntry ({ appId, cause }: Lane, id: string, fields: readonly string[]): QueuedDelivery | undefined {
  const map = new Map<string, string>()
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string)
  const url = map.get('url')
  const body = map.get('body')
  const events = Number(map.get('events'))
  const createdAt = Number(map.get('created'))
  if (url === undefined || body === undefined || !Number.isFinite(events) || !Number.isFinite(createdAt)) return undefined
  return { id, appId, cause, url, body, events, createdAt }
}
