/**
 * Bounds on adapter calls. A networked adapter may fail or never answer (a stalled connection); the hub
 * races each call it waits on against a timeout, so a subscribe, a presence join or a cache read ends with
 * an answer to the client instead of a hang.
 */

/** Default milliseconds an adapter call may take before it is given up. */
export const ADAPTER_TIMEOUT_MS = 5000

/** An adapter call that did not settle in time. */
export class AdapterTimeoutError extends Error {
  constructor (readonly operation: string, ms: number) {
    super(`The adapter did not answer ${operation} within ${ms} ms`)
    this.name = 'AdapterTimeoutError'
  }
}

/** `work`, or an `AdapterTimeoutError` when it has not settled within `ms`. The timer never keeps the process alive. */
export async function withTimeout<T> (work: Promise<T>, ms: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new AdapterTimeoutError(operation, ms)) }, ms)
    timer.unref()
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}
