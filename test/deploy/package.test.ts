/**
 * What an npm user gets: the MIT license text, a repository, the docs the README and --help link to
 * (shipped in `files`), and an `engines` range that holds the runtime dependencies' own.
 */
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'

const root = new URL('../../', import.meta.url)
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  license: string, repository?: { url?: string }, files: string[], engines: { node: string }, dependencies: Record<string, string>
}

t.test('license, repository and shipped docs', async (t) => {
  t.equal(pkg.license, 'MIT')
  const license = readFileSync(new URL('LICENSE', root), 'utf8')
  t.match(license, /^MIT License\n\nCopyright \(c\) fastify-broadcastt contributors\n/)
  t.ok(pkg.files.includes('LICENSE'))
  t.match(pkg.repository?.url, /^git\+https:\/\/github\.com\/.+\.git$/)
  t.ok(pkg.files.includes('docs'), 'docs/ is shipped')
  const readme = readFileSync(new URL('README.md', root), 'utf8')
  const linked = new Set([...readme.matchAll(/\]\((docs\/[^)#]+)/g)].map((m) => m[1] ?? ''))
  t.ok(linked.size > 5)
  for (const path of linked) {
    t.ok(existsSync(new URL(path, root)), `${path} exists`)
    t.ok(pkg.files.some((f) => path === f || path.startsWith(`${f}/`)), `${path} is shipped`)
  }
})

t.test('engines hold the runtime dependencies\' ranges and the running Node', async (t) => {
  t.equal(pkg.engines.node, '>=20.18.1')
  const undici = JSON.parse(readFileSync(new URL('node_modules/undici/package.json', root), 'utf8')) as { engines: { node: string } }
  t.equal(undici.engines.node, '>=20.18.1', 'the strictest runtime dependency')
  const [major = 0, minor = 0, patch = 0] = process.versions.node.split('.').map(Number)
  t.ok(major > 20 || (major === 20 && (minor > 18 || (minor === 18 && patch >= 1))), 'this Node is in range')
})
