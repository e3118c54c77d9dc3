/**
 * pusher-js under Node ESM: the package is CommonJS whose `module.exports` is the Pusher class, while its
 * types declare an ES default export. This re-export gives the runtime value the class's type.
 */
import PusherModule from 'pusher-js'

type PusherClass = typeof PusherModule.default
export const Pusher = PusherModule as unknown as PusherClass
export type Pusher = InstanceType<PusherClass>
