/**
 * The fuzz run (test/fuzz/harness.ts): seeded generated, mutated and validly signed frames from several
 * connections of both dialects, and generated REST requests, against one server, while a well-behaved client
 * stays connected. Fails on: an uncaught error (the file fails); an answer outside the protocol (an `error`
 * code or close code not in the wire table or RFC 6455, close 1006); an `Internal error` answer or a
 * subscription refused with InternalError; a non-zero internal error counter; any error-level line in the
 * server's log; a 5xx or uncoded 4xx REST answer; a missed event of the well-behaved client; heap growth.
 *
 * The seed changes every run and is printed; `FUZZ_SEED=<seed>` replays one. FUZZ_FRAMES (default 20000)
 * and FUZZ_REQUESTS (default 300) size the run; `npm run fuzz:long` runs a million frames.
 */
import { randomInt } from 'node:crypto'
import t from 'tap'
import { guardProblems, runFuzz } from './harness.js'

const FRAMES = Number(process.env.FUZZ_FRAMES ?? 20_000)
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 300)
const SEED = process.env.FUZZ_SEED === undefined || process.env.FUZZ_SEED === '' ? randomInt(2 ** 31) : Number(process.env.FUZZ_SEED)
/** Heap growth allowed after GC, in bytes. */
const HEAP_BOUND = 24 * 1024 * 1024

t.comment(`fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED} npx tap test/fuzz/fuzz.test.ts)`)

t.test(`fuzz: ${FRAMES} frames and ${REQUESTS} REST requests (seed ${SEED})`, async (t) => {
  const found = await runFuzz(t, { seed: SEED, frames: FRAMES, requests: REQUESTS })
  const replay = `replay: FUZZ_SEED=${SEED}`
  const guards = guardProblems(found)
  t.same(found.bad.slice(0, 20), [], `every answer is a spec'd one (${replay})`)
  t.same(guards.internalAnswers, [], `no Internal error answer (${replay})`)
  t.same(guards.errorCounter, [], `the internal error counters stay at 0 (${replay})`)
  t.same(guards.errorLogs, [], `no error-level server log line (${replay})`)
  t.same(found.restProblems.slice(0, 10), [], `every REST answer is a coded one (${replay})`)
  t.ok(found.sent >= FRAMES * 0.95, `${found.sent} of ${FRAMES} frames were sent on open connections`)
  t.ok(found.signed >= FRAMES / 8, `${found.signed} of them validly signed`)
  t.equal(found.received, found.triggered, `the well-behaved client received all ${found.triggered} events`)
  t.ok(found.observerOpen, 'the well-behaved client is still connected')
  t.ok(found.heapGrowth < HEAP_BOUND,
    `heap after GC within ${HEAP_BOUND / 1048576} MiB of the start (${(found.heapGrowth / 1048576).toFixed(1)} MiB)`)
  t.comment(`frames: ${found.sent} sent (${found.signed} signed) in ${found.seconds.toFixed(1)} s ` +
    `(${Math.round(found.sent / found.seconds)}/s), ${found.answers} answers; error codes ` +
    `${JSON.stringify(Object.fromEntries(found.errors))}; closes ${JSON.stringify(Object.fromEntries(found.closes))}`)
  t.comment(`REST: ${REQUESTS} requests, statuses ${JSON.stringify(Object.fromEntries(found.restStatuses))}`)
})
