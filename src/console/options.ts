/**
 * The `console` option: the debug console in the browser (docs/console.md). Off by default; when on, it is
 * served at `{prefix}{path}` and opened with `token`.
 */
import { Type, type Static } from '@sinclair/typebox'
import { InvalidOptionsError } from '../errors.js'

/** Characters a console token has at least: long enough that guessing it, at the login rate limit, is hopeless. */
export const CONSOLE_TOKEN_MIN_LENGTH = 16

export const ConsoleSchema = Type.Object({
  enabled: Type.Boolean({ default: false, description: 'Serve the debug console (docs/console.md)' }),
  path: Type.String({
    default: '/console',
    pattern: '^(/[A-Za-z0-9._~-]+)+$',
    description: 'Where the console is served, under the plugin\'s prefix'
  }),
  token: Type.Optional(Type.String({
    minLength: CONSOLE_TOKEN_MIN_LENGTH,
    description: 'The token that opens the console (Authorization: Bearer, the login form or ?token= once); required when enabled'
  }))
}, { additionalProperties: false, default: {} })

export type ConsoleOptions = Static<typeof ConsoleSchema>

/** The check the schema cannot express: an enabled console needs its token. */
export function checkConsoleOptions (options: ConsoleOptions, root: string): void {
  if (options.enabled && options.token === undefined) {
    throw new InvalidOptionsError(`${root === '' ? '' : root + '.'}console.token: required when console.enabled is true`)
  }
}
