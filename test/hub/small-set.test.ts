/** The hub's SmallSet against a real Set: the same answers for every sequence of operations. */
import t from 'tap'
import fc from 'fast-check'
import { SmallSet } from '../../src/hub/small-set.js'

t.test('SmallSet answers as a Set does', async (t) => {
  const op = fc.tuple(fc.constantFrom('add', 'delete', 'has', 'clear'), fc.constantFrom('a', 'b', 'c', ''))
  fc.assert(fc.property(fc.array(op, { maxLength: 30 }), fc.option(fc.constantFrom('a', 'b'), { nil: undefined }), (ops, first) => {
    const small = new SmallSet<string>(first)
    const set = new Set<string>(first === undefined ? [] : [first])
    for (const [name, value] of ops) {
      if (name === 'add') {
        small.add(value)
        set.add(value)
      } else if (name === 'clear') {
        small.clear()
        set.clear()
      } else if (small[name](value) !== set[name](value)) return false
      if (small.size !== set.size || [...small].join() !== [...set].join()) return false
    }
    return true
  }), { seed: 20261203, numRuns: 3000 })
  t.pass('3,000 random sequences agree')
})

t.test('deleting while iterating, as the hub does when it leaves every channel of a closed connection', async (t) => {
  for (const values of [['a'], ['a', 'b', 'c']]) {
    const small = new SmallSet<string>()
    for (const value of values) small.add(value)
    const seen: string[] = []
    for (const value of small) {
      seen.push(value)
      small.delete(value)
    }
    t.same(seen, values, `every one of ${values.length} visited`)
    t.equal(small.size, 0)
  }
})
