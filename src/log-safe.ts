/**
 * What may be logged of values that can carry secrets (docs/hardening.md): errors of Redis clients (an
 * ioredis `ReplyError` keeps the command it answered, whose arguments can be the AUTH password) as their
 * message and code only, and URLs without their userinfo, query and fragment.
 */

/** An error as a log field: its message and code, nothing it carries besides. */
export function errorFields (error: unknown): { message: string, code?: string } {
  if (!(error instanceof Error)) return { message: String(error) }
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? { message: error.message, code } : { message: error.message }
}

/** An error as a log field: one that carries a Redis command (ioredis) reduced to `errorFields`, others whole. */
export function loggableError (error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'command' in error ? errorFields(error) : error
}

/** `https://user:pass@host/path?token=x#f` → `https://host/path`; a string that is no URL → `(invalid URL)`. */
export function loggableUrl (url: string): string {
  if (!URL.canParse(url)) return '(invalid URL)'
  const { protocol, host, pathname } = new URL(url)
  return `${protocol}//${host}${pathname}`
}
