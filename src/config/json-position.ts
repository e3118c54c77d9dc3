/**
 * Where a JSON text stops being valid, as a position and a line and column, without any of its text: V8's
 * messages quote the text around some errors (`Unexpected token 'x', "…secret…" is not valid JSON`), and a
 * configuration file holds secrets.
 */

/**
 * The offset of a syntax error as V8 reports it ("at position N"); the text's length when it only ended too
 * early (or is valid); -1 when V8 names no position.
 */
function reportedPosition (text: string): number {
  let message = ''
  try {
    JSON.parse(text)
  } catch (error) {
    message = (error as Error).message
  }
  const at = /at position (\d+)/.exec(message)
  if (at !== null) return Number(at[1])
  return message === '' || /end of JSON input/.test(message) ? text.length : -1
}

/** Whether the error of `text.slice(0, length)` lies inside it (not just where the prefix ends). */
function failsWithin (text: string, length: number): boolean {
  const position = reportedPosition(text.slice(0, length))
  return position === -1 || position < length
}

/**
 * The offset of the first syntax error of `text`, which `JSON.parse` refused. When V8 names no position, the
 * shortest prefix whose error lies inside it is found by bisection: a longer prefix fails at the same
 * character, a shorter one only ends too early.
 */
export function jsonErrorOffset (text: string): number {
  const reported = reportedPosition(text)
  if (reported !== -1) return reported
  let low = 0
  let high = text.length
  while (low < high) {
    const mid = (low + high) >> 1
    if (failsWithin(text, mid + 1)) high = mid
    else low = mid + 1
  }
  return low
}

/** `line L, column C (offset N)` of an offset, 1-based as editors show them. */
export function describeOffset (text: string, offset: number): string {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  const column = offset - before.lastIndexOf('\n')
  return `line ${line}, column ${column} (offset ${offset})`
}
