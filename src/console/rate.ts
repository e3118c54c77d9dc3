/**
 * Token buckets (refilled continuously, as the project's other rates) per client address for the console's own requests and for its failed logins. The map is
 * bounded: past `maxKeys` addresses the least recently seen one is forgotten (a forgotten address starts
 * again with a full bucket, which only ever errs towards letting a client in), so a flood of addresses
 * cannot grow memory. Written here rather than taken from @fastify/rate-limit so the plugin never collides
 * with a host that registers that plugin itself, and so the two budgets stay separate.
 */
interface Bucket { tokens: number, at: number }

export class AddressRate {
  readonly #buckets = new Map<string, Bucket>()

  /** `perSecond` tokens refilled continuously, at most `burst` held. */
  constructor (readonly perSecond: number, readonly burst: number, private readonly maxKeys = 10_000) {}

  /** Takes one token of `key`'s bucket at `now` (ms); false when it is empty. */
  take (key: string, now: number): boolean {
    const bucket = this.#buckets.get(key) ?? { tokens: this.burst, at: now }
    this.#buckets.delete(key)
    const refilled = this.#tokens(bucket, now)
    const ok = refilled >= 1
    this.#buckets.set(key, { tokens: ok ? refilled - 1 : refilled, at: now })
    if (this.#buckets.size > this.maxKeys) this.#buckets.delete(this.#buckets.keys().next().value as string)
    return ok
  }

  /** Seconds until `key` has a token again (at least 1), for `Retry-After`. */
  retryAfter (key: string, now: number): number {
    const bucket = this.#buckets.get(key)
    const tokens = bucket === undefined ? this.burst : this.#tokens(bucket, now)
    return Math.max(1, Math.ceil((1 - tokens) / this.perSecond))
  }

  #tokens (bucket: Bucket, now: number): number {
    return Math.min(this.burst, bucket.tokens + Math.max(0, now - bucket.at) * this.perSecond / 1000)
  }

  get size (): number { return this.#buckets.size }
}
