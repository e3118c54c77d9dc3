/**
 * Module hooks for the tests: resolves a `./x.js` import to `./x.ts` when only the TypeScript file exists
 * (NodeNext import style), and compiles TypeScript with esbuild: no minification, original line layout,
 * inline source map whose source is the absolute path of the `.ts` file.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'

const TS = /\.(?:ts|mts|tsx)$/
const TSCONFIG = {
  compilerOptions: { target: 'ES2022', verbatimModuleSyntax: true, useDefineForClassFields: true, jsx: 'react-jsx', jsxImportSource: 'preact' }
}

export async function resolve (specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context)
  } catch (error) {
    const local = specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:')
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !local || !/\.[cm]?js$/.test(specifier)) throw error
    for (const ext of ['.ts', '.tsx']) {
      try {
        return await nextResolve(specifier.replace(/\.([cm]?)js$/, (_, m) => m === '' ? ext : `.${m}ts`), context)
      } catch {}
    }
    throw error
  }
}

export async function load (url, context, nextLoad) {
  if (!url.startsWith('file:') || !TS.test(new URL(url).pathname) || url.includes('/node_modules/')) {
    return nextLoad(url, context)
  }
  const file = fileURLToPath(url)
  const source = await readFile(file, 'utf8')
  const { code } = await transform(source, {
    loader: file.endsWith('.tsx') ? 'tsx' : 'ts',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: file,
    sourcesContent: false,
    tsconfigRaw: TSCONFIG
  })
  return { format: 'module', source: code, shortCircuit: true }
}
