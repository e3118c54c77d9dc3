/**
 * The README and docs are written for users: no README line of 60+ characters appears twice (merge
 * leftovers), and no page cites issue numbers or the history of this repository's development.
 */
import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'

const root = new URL('../../', import.meta.url)
const README = readFileSync(new URL('README.md', root), 'utf8')
const PAGES: Array<[string, string]> = [
  ['README.md', README],
  ...readdirSync(new URL('docs/', root)).filter((f) => f.endsWith('.md'))
    .map((f): [string, string] => [`docs/${f}`, readFileSync(new URL(`docs/${f}`, root), 'utf8')]),
  ['examples/chat/README.md', readFileSync(new URL('examples/chat/README.md', root), 'utf8')]
]

/** Words of development history, not of the product. */
const HISTORY = [
  /#\d+\b/, /\bissues? \d+/i, /\b(this|development|earlier|previous|agent) sessions?\b/i, /starting commit/i, /development runs?\b/i, /earlier runs?\b/i,
  /previous runs?\b/i, /the runs below/i, /\bhelpers?\b.*\bworktree/i, /\bbrief\b/i, /seeds\//, /\bPROTOCOL\.md\b/
]

/** Lines of 60+ characters (trimmed) that appear more than once, with their line numbers. */
function repeatedLines (text: string): string[] {
  const seen = new Map<string, number>()
  const repeated: string[] = []
  for (const [i, line] of text.split('\n').entries()) {
    const trimmed = line.trim()
    if (trimmed.length < 60) continue
    const first = seen.get(trimmed)
    if (first === undefined) seen.set(trimmed, i + 1)
    else repeated.push(`lines ${first} and ${i + 1}: ${trimmed.slice(0, 80)}`)
  }
  return repeated
}

t.test('no README line of 60+ characters appears twice', async (t) => {
  t.same(repeatedLines(README), [])
})

t.test('no issue numbers and no development history in the README and docs', async (t) => {
  const found: string[] = []
  for (const [name, text] of PAGES) {
    for (const [i, line] of text.split('\n').entries()) {
      // Fragment links (`(#anchor)`), colours and shell comments are not citations.
      const prose = line.replace(/\]\([^)]*\)/g, '](…)')
      for (const pattern of HISTORY) if (pattern.test(prose)) found.push(`${name}:${i + 1}: ${line.trim().slice(0, 100)}`)
    }
  }
  t.same(found, [])
})

t.test('the checks catch what they are for', async (t) => {
  for (const line of ['fixed in issue #12', 'see issue 12', 'measured from the starting commit', 'as in the runs below',
    'figures of an earlier development run', 'written in this session']) {
    t.ok(HISTORY.some((p) => p.test(line)), line)
  }
  for (const line of ['a session cookie signed by the host', 'no sticky sessions', '[Scaling](#scaling)']) {
    t.notOk(HISTORY.some((p) => p.test(line.replace(/\]\([^)]*\)/g, '](…)'))), line)
  }
  const line = 'a line of more than sixty characters that a merge left behind twice'
  t.same(repeatedLines(`${line}\nshort\nshort\n  ${line}`), [`lines 1 and 4: ${line}`], 'a repeated long line')
})
