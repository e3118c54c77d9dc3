/**
 * soketi 1.6.1, the reference: installed on demand from the npm registry into the git-ignored
 * `bench/.cache/soketi` (its own package.json, never the project's dependencies or lockfile). soketi 1.6.1
 * pins a uWebSockets.js build that is not on the registry; an npm `overrides` entry maps it to the
 * unofficial registry build `@trufflesuite/uws-js-unofficial`, which ships the same native binaries.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'

export const SOKETI_VERSION = '1.6.1'
const UWS = 'npm:@trufflesuite/uws-js-unofficial@20.30.0-unofficial.0'
const CACHE = new URL('.cache/soketi/', import.meta.url)

/** The soketi entry script, installing it first when the cache does not hold this version. */
export function soketiEntry (): string {
  const installed = new URL('node_modules/@soketi/soketi/package.json', CACHE)
  if (existsSync(installed) && (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version === SOKETI_VERSION) {
    return new URL('node_modules/@soketi/soketi/bin/server.js', CACHE).pathname
  }
  mkdirSync(CACHE, { recursive: true })
  writeFileSync(new URL('package.json', CACHE), JSON.stringify({
    name: 'bench-soketi-cache',
    private: true,
    description: 'soketi for npm run bench; git-ignored, never part of the project',
    dependencies: { '@soketi/soketi': SOKETI_VERSION },
    overrides: { 'uWebSockets.js': UWS }
  }, null, 2) + '\n')
  console.log(`bench: installing @soketi/soketi@${SOKETI_VERSION} into ${CACHE.pathname} (once)…`)
  // --ignore-scripts: nothing soketi needs is built at install time (the uWS package ships its binaries).
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
    cwd: CACHE, stdio: ['ignore', 'inherit', 'inherit']
  })
  return soketiEntry()
}

/**
 * soketi's options (dotted keys, as its `--config` file takes them) for an app matching ours, quiet, on
 * loopback only. Its cluster discovery (node-discover) runs even with the local adapter and by default sends
 * UDP hellos to 255.255.255.255: bind it to 127.0.0.1 and send them there only.
 */
export function soketiConfig (app: { id: string, key: string, secret: string }, ports: { http: number, metrics: number, cluster: number }): object {
  return {
    debug: false,
    host: '127.0.0.1',
    port: ports.http,
    'metrics.enabled': false,
    'metrics.host': '127.0.0.1',
    'metrics.port': ports.metrics,
    'cluster.address': '127.0.0.1',
    'cluster.hostname': '127.0.0.1',
    'cluster.unicast': '127.0.0.1',
    'cluster.port': ports.cluster,
    'presence.maxMembersPerChannel': 1_000_000,
    'appManager.array.apps': [{
      ...app,
      maxConnections: -1,
      enableClientMessages: false,
      enabled: true,
      maxBackendEventsPerSecond: -1,
      maxClientEventsPerSecond: -1,
      maxReadRequestsPerSecond: -1,
      webhooks: []
    }]
  }
}
