/** A logger destination that keeps every line (pino JSON), for tests that check what was logged. */
import { Writable } from 'node:stream'

export interface CapturedLog {
  stream: Writable
  lines: Array<Record<string, unknown>>
}

export function captureLog (): CapturedLog {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    }
  })
  return { stream, lines }
}
