/**
 * The Dockerfile without docker (scripts/docker-build.sh builds and smoke-tests it where docker runs): two
 * stages on node:20-slim, a non-root user, every copied path exists, and the command is the package's bin.
 */
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'

const root = new URL('../../', import.meta.url)
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8')
const lines = dockerfile.split('\n').filter((line) => !line.startsWith('#') && line.trim() !== '')
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { bin: Record<string, string> }

t.test('multi-stage on node:20-slim, running as node, listening on all interfaces', async (t) => {
  t.same(lines.filter((l) => l.startsWith('FROM ')), ['FROM node:20-slim AS build', 'FROM node:20-slim AS runtime'])
  const user = lines.findIndex((l) => l.startsWith('USER '))
  t.equal(lines[user], 'USER node')
  t.ok(user > lines.findIndex((l) => l.startsWith('FROM node:20-slim AS runtime')), 'in the final stage')
  t.ok(user < lines.findIndex((l) => l.startsWith('CMD ')), 'before the command')
  t.match(dockerfile, /ENV NODE_ENV=production HOST=0\.0\.0\.0 PORT=6001/)
  t.match(dockerfile, /npm ci --omit=dev/, 'the image holds production dependencies only')
})

t.test('every copied path exists and the command is the package\'s bin', async (t) => {
  for (const line of lines.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
    const sources = line.split(/\s+/).slice(1, -1)
    for (const source of sources) t.ok(existsSync(new URL(source, root)), `${source} exists`)
  }
  const cmd = JSON.parse(lines.find((l) => l.startsWith('CMD '))?.slice(4) ?? '[]') as string[]
  t.same(cmd, ['node', pkg.bin['broadcastt-server']?.replace(/^\.\//, '')])
})
