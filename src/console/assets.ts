/**
 * The console's front end, bundled from console-ui/ by `npm run build` into dist/console-ui/ (the same
 * folder whether this module runs from src/ or from dist/). Read once, when a console is registered.
 */
import { readFileSync } from 'node:fs'
import { ConsoleNotBuiltError } from '../errors.js'

export const ASSET_DIR = new URL('../../dist/console-ui/', import.meta.url)

export const ASSET_TYPES: Readonly<Record<string, string>> = Object.freeze({
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8'
})

/** The bundle's files by name; throws naming the missing file when it was not built. */
export function loadAssets (dir: URL = ASSET_DIR): Map<string, Buffer> {
  const assets = new Map<string, Buffer>()
  for (const name of Object.keys(ASSET_TYPES)) {
    const file = new URL(name, dir)
    try {
      assets.set(name, readFileSync(file))
    } catch {
      throw new ConsoleNotBuiltError(`The console's front end is not built (${file.pathname} is missing; run npm run build)`)
    }
  }
  return assets
}
