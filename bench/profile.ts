/**
 * `node --import tsx bench/profile.ts FILE.cpuprofile [TOP]`: where a server's CPU time went, from a
 * `--cpu-prof` profile (`npm run bench -- SCENARIO --cpu-prof` writes them to bench/results/profiles):
 * self time by package or source area, and the functions with the most self time.
 */
import { readFileSync } from 'node:fs'

interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[] }

const [file, topArg] = process.argv.slice(2)
if (file === undefined) throw new Error('usage: bench/profile.ts FILE.cpuprofile [TOP]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const self = new Map<number, number>()
profile.samples.forEach((id, i) => { self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)) })
const total = [...self.values()].reduce((a, b) => a + b, 0)

function area (url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg !== null) return pkg[1]!
  if (url.startsWith('node:')) return url.replace(/^node:internal\//, 'node:').split('/').slice(0, 2).join('/')
  const src = /\/(src|bench)\/(.*)$/.exec(url)
  return src === null ? url : `${src[1]}/${src[2]}`
}

const areas = new Map<string, number>()
const functions = new Map<string, number>()
for (const [id, micros] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame
  const a = area(url, functionName)
  areas.set(a, (areas.get(a) ?? 0) + micros)
  const key = `${functionName || '(anonymous)'} ${a}:${lineNumber + 1}`
  functions.set(key, (functions.get(key) ?? 0) + micros)
}
/** Time in each function including what it called (each sample counted once per function on its stack). */
const parent = new Map<number, number>()
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
const inclusive = new Map<string, number>()
for (const [id, micros] of self) {
  const seen = new Set<string>()
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const { functionName, url, lineNumber } = byId.get(at)!.callFrame
    const key = `${functionName || '(anonymous)'} ${area(url, functionName)}:${lineNumber + 1}`
    if (seen.has(key)) continue
    seen.add(key)
    inclusive.set(key, (inclusive.get(key) ?? 0) + micros)
  }
}
const pct = (micros: number): string => `${(100 * micros / total).toFixed(1).padStart(5)} %`
const top = Number(topArg ?? 25)
console.log(`total sampled: ${(total / 1e6).toFixed(2)} s\n\nself time by area:`)
for (const [name, micros] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(micros)}  ${name}`)
console.log('\nself time by function:')
for (const [name, micros] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(micros)}  ${name}`)
console.log('\ntotal time by function (with what it called):')
for (const [name, micros] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(micros)}  ${name}`)
