/**
 * `npm start` builds only when it must: `prestart` runs scripts/fresh-build.mjs, which builds when dist/ is
 * missing or older than a source, and does nothing when dist/ is current or when there are no sources (a
 * published package). Run here in a scratch package whose `build` script only leaves a mark.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

const root = new URL('../../', import.meta.url)
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }

t.test('prestart checks freshness; prepare still builds on install', async (t) => {
  t.equal(pkg.scripts.prestart, 'node scripts/fresh-build.mjs')
  t.equal(pkg.scripts.prepare, 'npm run build')
})

t.test('builds when dist/ is missing or stale, not when it is current', async (t) => {
  const dir = t.testdir({
    'package.json': JSON.stringify({ name: 'scratch', private: true, scripts: { build: 'node -e "require(\'fs\').writeFileSync(\'built\', \'\')"' } }),
    src: { 'index.ts': 'export {}\n' },
    scripts: {}
  })
  copyFileSync(new URL('scripts/fresh-build.mjs', root), join(dir, 'scripts', 'fresh-build.mjs'))
  const run = (): boolean => {
    rmSync(join(dir, 'built'), { force: true })
    execFileSync(process.execPath, [join(dir, 'scripts', 'fresh-build.mjs')], { cwd: dir, stdio: 'ignore' })
    return existsSync(join(dir, 'built'))
  }
  t.equal(run(), true, 'no dist/: built')
  mkdirSync(join(dir, 'dist', 'cli'), { recursive: true })
  writeFileSync(join(dir, 'dist', 'cli', 'main.js'), '')
  const past = new Date(Date.now() - 60_000)
  for (const file of ['src/index.ts', 'package.json']) utimesSync(join(dir, file), past, past)
  t.equal(run(), false, 'dist/ newer than every source: not built')
  utimesSync(join(dir, 'src', 'index.ts'), new Date(), new Date(Date.now() + 60_000))
  t.equal(run(), true, 'a source changed after the build: built')
  rmSync(join(dir, 'src'), { recursive: true })
  t.equal(run(), false, 'no sources (a published package): nothing to build')
})
