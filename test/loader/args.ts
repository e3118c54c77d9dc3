/** The `node` arguments that load TypeScript the way the test runner does, for the child processes tests spawn. */
export const LOADER_ARGS: readonly string[] = ['--import', new URL('./register.mjs', import.meta.url).href]
