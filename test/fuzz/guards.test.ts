/**
 * The fuzz run's guards fire: a short fuzz run with a deliberately planted failure must be seen by each
 * guard of test/fuzz/fuzz.test.ts. The failures are planted from the test, not through production code:
 * a wrapper of the hub's `unsubscribe` that throws while the fuzzer leaves an authorized channel (a bug in
 * a frame handler), and an in-process listener that throws (a failure of background work).
 */
import t from 'tap'
import { Hub } from '../../src/hub/hub.js'
import { guardProblems, runFuzz } from './harness.js'

const SEED = 20261203
const SMALL = { seed: SEED, frames: 1600, requests: 10 }

t.test('a throw planted in a frame handler: an Internal error answer, the counter, an error log line', async (t) => {
  const real = Object.getOwnPropertyDescriptor(Hub.prototype, 'unsubscribe')
  t.teardown(() => { if (real !== undefined) Object.defineProperty(Hub.prototype, 'unsubscribe', real) })
  const planted = function (this: Hub, ...args: Parameters<Hub['unsubscribe']>): boolean {
    if (args[1].startsWith('private-fuzz-')) throw new Error('planted: unsubscribe failed')
    return (real?.value as Hub['unsubscribe']).apply(this, args)
  }
  Object.defineProperty(Hub.prototype, 'unsubscribe', { ...real, value: planted })

  const found = await runFuzz(t, SMALL)
  const guards = guardProblems(found)
  t.not(guards.internalAnswers.length, 0, 'the Internal error guard fires')
  t.match(guards.internalAnswers[0], /Internal error/, 'the answer a client got')
  t.not(guards.errorCounter.length, 0, 'the error counter guard fires')
  t.not(guards.errorLogs.length, 0, 'the error log guard fires')
  t.match(guards.errorLogs.join('\n'), /planted: unsubscribe failed/, 'the log line names the planted error')
})

t.test('a throw planted in a listener: the counter and the error log guards fire without an Internal error answer', async (t) => {
  const found = await runFuzz(t, {
    ...SMALL,
    setup: (server) => {
      server.app.broadcastt.on('member_added', () => { throw new Error('planted: listener failed') })
    }
  })
  const guards = guardProblems(found)
  t.same(guards.internalAnswers, [], 'no client saw it')
  t.not(guards.errorCounter.length, 0, 'the error counter guard fires')
  t.match(guards.errorLogs.join('\n'), /planted: listener failed/, 'the error log guard fires')
})
