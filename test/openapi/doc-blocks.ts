/** The fenced code blocks of docs/rest-api.md, for the tests that run the code it shows. */
import { readFileSync } from 'node:fs'

const DOC = readFileSync(new URL('../../docs/rest-api.md', import.meta.url), 'utf8')

/** The fenced `lang` blocks of docs/rest-api.md, in order. */
export function docBlocks (lang: string): string[] {
  return [...DOC.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] ?? '')
}
