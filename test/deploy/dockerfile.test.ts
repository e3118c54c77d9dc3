/**
 * The Dockerfile without docker (scripts/docker-build.sh builds and smoke-tests it where docker runs): two
 * stages on node:22-slim (a maintained LTS), a non-root user, every copied path exists, the command is the
 * package's bin, and the health check is the built script that reads the server's own settings (prefix, TLS).
 */
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'

const root = new URL('../../', import.meta.url)
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8')
const lines = dockerfile.split('\n').filter((line) => !line.startsWith('#') && line.trim() !== '')
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { bin: Record<string, string> }

t.test('multi-stage on node:22-slim, running as node, listening on all interfaces', async (t) => {
  t.same(lines.filter((l) => l.startsWith('FROM ')), ['FROM node:22-slim AS build', 'FROM node:22-slim AS runtime'])
  const user = lines.findIndex((l) => l.startsWith('USER '))
  t.equal(lines[user], 'USER node')
  t.ok(user > lines.findIndex((l) => l.startsWith('FROM node:22-slim AS runtime')), 'in the final stage')
  t.ok(user < lines.findIndex((l) => l.startsWith('CMD ')), 'before the command')
  t.match(dockerfile, /ENV NODE_ENV=production HOST=0\.0\.0\.0\n/, 'PORT left to the default 6001, so SOKETI_PORT can set it')
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

t.test('the health check runs the built health check script', async (t) => {
  const check = lines.find((l) => l.startsWith('HEALTHCHECK '))
  t.match(check, /CMD \["node", "dist\/cli\/healthcheck\.js"\]$/)
  t.ok(existsSync(new URL('src/cli/healthcheck.ts', root)), 'built from src/cli/healthcheck.ts')
})
