#!/usr/bin/env node
/**
 * `npm start`'s pre-step: builds only when dist/ is missing or older than a source it is built from
 * (src/, console-ui/, the tsconfig files, package.json). A published package ships dist/ without its sources:
 * nothing to compare, nothing to build. The build itself still runs on install (`prepare`).
 */
import { execSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const built = join(root, 'dist', 'cli', 'main.js')

/** The newest modification time under `path` (a file or a directory), 0 when it does not exist. */
function newest (path) {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let latest = 0
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules') continue
    latest = Math.max(latest, newest(join(path, entry)))
  }
  return latest
}

if (!existsSync(join(root, 'src'))) process.exit(0)
const sources = ['src', 'console-ui', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((p) => join(root, p))
const source = Math.max(...sources.map(newest))
if (existsSync(built) && statSync(built).mtimeMs >= source) process.exit(0)
process.stderr.write('dist/ is missing or older than the sources: building\n')
execSync('npm run build', { cwd: root, stdio: 'inherit' })
