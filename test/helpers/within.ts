/**
 * Races `work` against a real timer of `ms`: resolves with the elapsed milliseconds when `work` settled
 * first, with Infinity when the timer fired first. For shutdown bounds (`t.ok(await within(…) < ms)`): a
 * fallback of the libraries (ws's 30 s close timeout, a request's own timeout) cannot make such a test pass.
 */
export async function within (ms: number, work: Promise<unknown>): Promise<number> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => { resolve('late') }, ms) })
  try {
    const outcome = await Promise.race([work.then(() => 'done' as const), late])
    return outcome === 'late' ? Infinity : performance.now() - started
  } finally {
    clearTimeout(timer)
  }
}
