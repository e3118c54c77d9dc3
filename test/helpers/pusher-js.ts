/**
 * pusher-js under Node ESM: the package is CommonJS whose `module.exports` is the Pusher class, while its
 * types declare an ES default export. This re-export gives the runtime value the class's type.
 */
import PusherModule from 'pusher-js'

type PusherClass = typeof PusherModule.default
export const Pusher = PusherModule as unknown as PusherClass
export type Pusher = InstanceType<PusherClass>

/** pusher-js (and Laravel Echo) options that reach a test server on 127.0.0.1 over plain ws only. */
export function localServerOptions (port: number) {
  return {
    cluster: 'mt1',
    wsHost: '127.0.0.1',
    wsPort: port,
    forceTLS: false,
    enabledTransports: ['ws' as const],
    disableStats: true
  }
}
