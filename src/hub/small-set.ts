/**
 * A set that holds its first element inline and makes a `Set` only for a second one. Most connections are
 * in one channel, and most channels of a busy app have one subscriber on a node: for them this is an
 * object of two fields instead of a `Set` and its hash table (about 120 bytes less each). The API is the
 * part of `Set` the hub uses; iteration sees a snapshot for one element and the live `Set` otherwise, as a
 * `Set` would.
 */
export class SmallSet<T> implements Iterable<T> {
  #one: T | undefined = undefined
  #many: Set<T> | undefined = undefined

  constructor (first?: T) {
    this.#one = first
  }

  get size (): number {
    return this.#many !== undefined ? this.#many.size : this.#one === undefined ? 0 : 1
  }

  has (value: T): boolean {
    return this.#many !== undefined ? this.#many.has(value) : this.#one !== undefined && this.#one === value
  }

  add (value: T): this {
    if (this.#many !== undefined) this.#many.add(value)
    else if (this.#one === undefined || this.#one === value) this.#one = value
    else {
      this.#many = new Set([this.#one, value])
      this.#one = undefined
    }
    return this
  }

  delete (value: T): boolean {
    if (this.#many !== undefined) return this.#many.delete(value)
    if (this.#one === undefined || this.#one !== value) return false
    this.#one = undefined
    return true
  }

  clear (): void {
    this.#one = undefined
    this.#many = undefined
  }

  [Symbol.iterator] (): Iterator<T> {
    if (this.#many !== undefined) return this.#many.values()
    return (this.#one === undefined ? [] : [this.#one]).values()
  }
}
