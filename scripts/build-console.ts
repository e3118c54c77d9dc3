/**
 * Bundles the debug console's front end (console-ui/: Preact components in TSX and one stylesheet) into
 * dist/console-ui/console.js and console.css with esbuild, minified, for ES2020 browsers.
 * `npm run build` runs it after tsc, so `npm start` and npm users get the bundle; only the source is kept in
 * the repository. The server reads the two files when a console is enabled (src/console/assets.ts).
 */
import { build, type OutputFile } from 'esbuild'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Builds the bundle; with `write: false` returns the files without writing them (the tests compare). */
export async function buildConsoleUi (write = true): Promise<OutputFile[]> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [{ in: 'console-ui/src/main.tsx', out: 'console' }, { in: 'console-ui/console.css', out: 'console' }],
    outdir: 'dist/console-ui',
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    tsconfig: 'console-ui/tsconfig.json',
    logLevel: 'warning',
    write
  })
  return result.outputFiles ?? []
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildConsoleUi()
  console.log('console-ui: dist/console-ui/console.js and console.css built')
}
