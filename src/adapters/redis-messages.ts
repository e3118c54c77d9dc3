/**
 * Messages between Redis nodes: a versioned, tagged union `{ v, node, type, ... }` serialized as JSON and
 * validated on receipt. A message that is not JSON, fails the schema or has another version is dropped
 * (and logged by the caller); a node drops its own echo by `node`.
 */
import { randomUUID } from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { ClusterMessage } from './adapter.js'

/** The version of the message format; a node drops messages of any other version. */
export const MESSAGE_VERSION = 1

const Id = Type.String({ minLength: 1, maxLength: 1000 })
const Envelope = { v: Type.Literal(MESSAGE_VERSION), node: Id, appId: Id }

const EventSchema = Type.Object({
  ...Envelope,
  type: Type.Literal('event'),
  channel: Id,
  name: Type.String({ minLength: 1 }),
  data: Type.String(),
  json: Type.Optional(Type.String()),
  userId: Type.Optional(Type.String()),
  except: Type.Optional(Type.String()),
  seq: Type.Optional(Type.Integer({ minimum: 0 }))
})

const MemberSchema = Type.Object({
  ...Envelope,
  type: Type.Literal('member'),
  channel: Id,
  added: Type.Boolean(),
  userId: Type.String({ minLength: 1 }),
  info: Type.Optional(Type.Unknown()),
  except: Type.Optional(Type.String()),
  seq: Type.Integer({ minimum: 0 })
})

const TerminateSchema = Type.Object({ ...Envelope, type: Type.Literal('terminate'), userId: Type.String({ minLength: 1 }) })

const WatchlistSchema = Type.Object({
  ...Envelope, type: Type.Literal('watchlist'), userId: Type.String({ minLength: 1 }), online: Type.Boolean()
})

/** An app changed in its store (`fastify.broadcastt.appChanged`); travels to every node. */
const AppChangedSchema = Type.Object({ ...Envelope, type: Type.Literal('app_changed') })

/** A node's barrier (`RedisAdapter.barrier`): only its sender acts on it, no hub ever sees it. */
const BarrierSchema = Type.Object({ v: Type.Literal(MESSAGE_VERSION), node: Id, type: Type.Literal('barrier'), id: Id })

/** See `BarrierSchema`. */
export interface BarrierMessage {
  readonly type: 'barrier'
  readonly id: string
}

const WireMessage = Type.Union([EventSchema, MemberSchema, TerminateSchema, WatchlistSchema, AppChangedSchema, BarrierSchema])
type Wire = Static<typeof WireMessage>
const checkWire = TypeCompiler.Compile(WireMessage)

/** A received message, or why it was dropped. */
export type Decoded =
  | { readonly ok: true, readonly node: string, readonly message: ClusterMessage | BarrierMessage }
  | { readonly ok: false, readonly reason: string }

export function encodeMessage (node: string, message: ClusterMessage | BarrierMessage): string {
  return JSON.stringify({ v: MESSAGE_VERSION, node, ...message })
}

export function decodeMessage (text: string): Decoded {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, reason: 'not JSON' }
  }
  if (typeof value === 'object' && value !== null && 'v' in value && value.v !== MESSAGE_VERSION) {
    return { ok: false, reason: `unknown version ${JSON.stringify(value.v)}` }
  }
  if (!checkWire.Check(value)) {
    const first = checkWire.Errors(value).First()
    return { ok: false, reason: first === undefined ? 'invalid' : `${first.path || '/'}: ${first.message}` }
  }
  const { v: _v, node, ...message } = value satisfies Wire
  return { ok: true, node, message: message as ClusterMessage | BarrierMessage }
}

/** A node's barriers waiting for their echo (`RedisAdapter.barrier`), by id. */
export class PendingBarriers {
  readonly #waiting = new Map<string, () => void>()

  /** A new barrier's id, and the promise its echo resolves. */
  open (): { id: string, echoed: Promise<void> } {
    const id = randomUUID()
    const echoed = new Promise<void>((resolve) => {
      this.#waiting.set(id, () => {
        this.#waiting.delete(id)
        resolve()
      })
    })
    return { id, echoed }
  }

  /** Publishes a barrier of `node` on each topic and resolves once every echo came back. */
  async pass (node: string, topics: readonly string[], publish: (topic: string, text: string) => Promise<void>): Promise<void> {
    await Promise.all(topics.map(async (topic) => {
      const { id, echoed } = this.open()
      try {
        await publish(topic, encodeMessage(node, { type: 'barrier', id }))
      } catch (error) {
        this.cancel(id)
        throw error
      }
      await echoed
    }))
  }

  /** The echo of barrier `id` arrived. */
  arrived (id: string): void {
    this.#waiting.get(id)?.()
  }

  /** Forgets barrier `id` (it was never published). */
  cancel (id: string): void {
    this.#waiting.delete(id)
  }

  /** Resolves every waiting barrier: the pub/sub connection dropped, so nothing published before will arrive. */
  endAll (): void {
    for (const resolve of [...this.#waiting.values()]) resolve()
  }
}

/**
 * This node's own channel messages on their way through Redis, by their exact text: when the echo comes
 * back, the node takes the message it sent instead of parsing and validating the text again. The text is
 * the key, so a match is always the same message whatever arrives when: an echo that never comes (the node
 * unsubscribed meanwhile, the publish failed, the pub/sub connection dropped) only leaves an entry behind,
 * which `clear` (on a dropped connection) or the bound removes.
 */
export class OwnEchoes {
  readonly #sent = new Map<string, ClusterMessage>()

  constructor (readonly max = 10_000) {}

  /** `text` of `message` is being published on a topic this node listens to. */
  sent (text: string, message: ClusterMessage): void {
    if (this.#sent.size >= this.max) this.#sent.clear()
    this.#sent.set(text, message)
  }

  /** The message `text` was made from, if this node sent it and it had not come back yet. */
  take (text: string): ClusterMessage | undefined {
    const message = this.#sent.get(text)
    if (message !== undefined) this.#sent.delete(text)
    return message
  }

  get size (): number { return this.#sent.size }

  clear (): void { this.#sent.clear() }
}
