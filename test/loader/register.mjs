/**
 * Registers the test loader (hooks.mjs): `.ts` files are compiled by esbuild, unminified and with inline
 * source maps, so that V8 coverage maps back to the lines of `src/*.ts` and stack traces name them.
 * Used by tap (`.taprc` node-arg) and by the child processes the tests spawn (`test/loader/args.ts`).
 */
import { register } from 'node:module'

process.setSourceMapsEnabled(true)
register('./hooks.mjs', import.meta.url)
