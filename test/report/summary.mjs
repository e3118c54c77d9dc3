/**
 * Printed at the end of `npm test`: coverage of src/ per folder (from tap's json-summary report) and the
 * ten slowest test files of the run (from the `# time=` line tap records for each file).
 */
import { readFile, readdir, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { transformSync } from 'esbuild'

const ROOT = new URL('../../', import.meta.url).pathname
const KINDS = ['lines', 'branches', 'functions', 'statements']

async function folders () {
  const summary = JSON.parse(await readFile(join(ROOT, '.tap/report/coverage-summary.json'), 'utf8'))
  const byFolder = new Map()
  for (const [file, data] of Object.entries(summary)) {
    if (file === 'total') continue
    const parts = relative(ROOT, file).split('/')
    const folder = parts.slice(0, Math.min(parts.length - 1, 2)).join('/')
    const sum = byFolder.get(folder) ?? Object.fromEntries(KINDS.map((k) => [k, { covered: 0, total: 0 }]))
    for (const k of KINDS) {
      sum[k].covered += data[k].covered
      sum[k].total += data[k].total
    }
    byFolder.set(folder, sum)
  }
  const pct = ({ covered, total }) => (total === 0 ? 100 : (100 * covered) / total).toFixed(2).padStart(7)
  console.log('\nCoverage of src/ per folder    lines  branches  functions')
  for (const [folder, sum] of [...byFolder].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`  ${folder.padEnd(26)} ${pct(sum.lines)}  ${pct(sum.branches)}  ${pct(sum.functions)}`)
  }
  const t = summary.total
  console.log(`  ${'all'.padEnd(26)} ${t.lines.pct.toFixed(2).padStart(7)}  ${t.branches.pct.toFixed(2).padStart(7)}  ${t.functions.pct.toFixed(2).padStart(7)}`)
}

/** The files under `dir` whose names end with `suffix`. */
async function * walk (dir, suffix) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield * walk(path, suffix)
    else if (entry.name.endsWith(suffix)) yield path
  }
}

async function slowest () {
  const dir = join(ROOT, '.tap/test-results')
  const since = (await stat(join(ROOT, '.tap/report/coverage-summary.json'))).mtimeMs - 30 * 60_000
  const times = []
  for await (const file of walk(dir, '.tap')) {
    if ((await stat(file)).mtimeMs < since) continue
    const text = await readFile(file, 'utf8')
    const all = [...text.matchAll(/^# time=([\d.]+)ms$/gm)]
    const last = all.at(-1)
    if (last !== undefined) times.push({ file: relative(dir, file).replace(/\.tap$/, ''), ms: Number(last[1]) })
  }
  times.sort((a, b) => b.ms - a.ms)
  console.log('\nSlowest test files of this run')
  for (const { file, ms } of times.slice(0, 10)) console.log(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${file}`)
}

/**
 * V8 reports only files that were loaded: a src/ file no test loads would be missing, not counted as 0 %.
 * Files whose compiled output is empty (types only) have nothing to cover; any other missing file fails.
 */
async function unloaded () {
  const summary = JSON.parse(await readFile(join(ROOT, '.tap/report/coverage-summary.json'), 'utf8'))
  const missing = []
  for await (const file of walk(join(ROOT, 'src'), '.ts')) {
    if (summary[file] !== undefined) continue
    const { code } = transformSync(await readFile(file, 'utf8'), { loader: 'ts', format: 'esm', legalComments: 'none' })
    if (code.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '').replace(/export\s*\{\s*\};?/g, '').trim() !== '') missing.push(relative(ROOT, file))
  }
  if (missing.length > 0) {
    console.log(`\nsrc/ files with code that no test loaded (0 % coverage): ${missing.join(', ')}`)
    process.exitCode = 1
  }
}

try {
  await folders()
  await unloaded()
  await slowest()
} catch (error) {
  console.log(`(no coverage summary: ${error.message})`)
}
