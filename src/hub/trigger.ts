/**
 * The rules every backend-triggered event must pass (PROTOCOL.md §9), shared by the REST API and the
 * programmatic API, and its publication through the hub.
 */
import type { App } from '../apps/app-store.js'
import { channelNameProblem, channelType } from '../protocol/channel-name.js'
import { eventData } from '../protocol/codec.js'
import { travellingData } from './frames.js'
import type { Hub } from './hub.js'

export interface TriggerEvent {
  name: string
  /** A string is sent as is; any other JSON value is serialized. */
  data: unknown
  channels: readonly string[]
  /** The connection that does not receive the event (usually its sender). */
  socketId?: string | undefined
}

/** Why an event was refused: `status` is the HTTP status the REST API answers with. */
export interface TriggerProblem {
  status: 400 | 413
  message: string
}

const SOCKET_ID = /^\d+\.\d+$/

/** Byte length of the data as it will travel. */
function dataBytes (data: unknown): number {
  return Buffer.byteLength(typeof data === 'string' ? data : JSON.stringify(data ?? {}))
}

/** Returns the first rule the event breaks, or undefined when it may be published. */
export function triggerProblem (app: App, event: TriggerEvent): TriggerProblem | undefined {
  const { limits } = app
  if (typeof event.name !== 'string' || event.name.length === 0) return { status: 400, message: 'Event name is required' }
  if (event.name.length > limits.nameLength) {
    return { status: 400, message: `Event name is longer than ${limits.nameLength} characters` }
  }
  if (event.data === undefined) return { status: 400, message: 'Event data is required' }
  if (event.channels.length === 0) return { status: 400, message: 'At least one channel is required' }
  if (event.channels.length > limits.channelsPerTrigger) {
    return { status: 400, message: `An event may name at most ${limits.channelsPerTrigger} channels` }
  }
  for (const channel of event.channels) {
    const problem = channelNameProblem(channel, limits.nameLength)
    if (problem !== undefined) return { status: 400, message: `${problem}: ${JSON.stringify(channel)}` }
    if (channelType(channel).kind === 'encrypted' && event.channels.length > 1) {
      return { status: 400, message: 'An event for an encrypted channel must name that channel only' }
    }
  }
  if (event.socketId !== undefined && !SOCKET_ID.test(event.socketId)) {
    return { status: 400, message: `Invalid socket_id ${JSON.stringify(event.socketId)}` }
  }
  const bytes = dataBytes(event.data)
  if (bytes > limits.eventDataBytes) {
    return { status: 413, message: `Event data is ${bytes} bytes; the limit is ${limits.eventDataBytes}` }
  }
  return undefined
}

/**
 * Publishes an event that passed `triggerProblem`: its data serialized once, one message per channel (each
 * node frames it for its own sockets). On a cache channel the adapter keeps it as the cached event too.
 */
export async function publishEvent (hub: Hub, app: App, event: TriggerEvent): Promise<void> {
  const data = travellingData(eventData(event.data))
  const except = event.socketId === undefined ? {} : { except: event.socketId }
  const publish = async (channel: string): Promise<void> => {
    const message = { type: 'event', appId: app.id, channel, name: event.name, ...data, ...except } as const
    await hub.publish(message, channelType(channel).cached ? app.limits.cacheTtlSeconds : undefined)
  }
  // One channel (most events): no array of promises to gather.
  if (event.channels.length === 1) await publish(event.channels[0] as string)
  else await Promise.all(event.channels.map(publish))
  if (hub.events.has('event_triggered')) {
    hub.events.emit('event_triggered', {
      appId: app.id,
      channels: event.channels,
      event: event.name,
      data: data.data,
      ...(event.socketId === undefined ? {} : { socketId: event.socketId })
    })
  }
}
