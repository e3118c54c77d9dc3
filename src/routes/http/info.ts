/**
 * `info` attributes (PROTOCOL.md §9): parsed from a comma-separated list, refused with 400 when unknown or
 * when they do not apply (`user_count` off presence channels, `cache` off cache channels), and read from the
 * adapter, whose counts are cluster-wide.
 */
import type { ChannelCounts } from '../../adapters/adapter.js'
import { InvalidRequestError } from '../../errors.js'
import type { Hub } from '../../hub/hub.js'
import { channelType } from '../../protocol/channel-name.js'
import type { ChannelAttributes } from './schemas.js'
import { dict } from '../../protocol/dict.js'

export type Attribute = 'subscription_count' | 'user_count' | 'cache'

/** The attributes asked for; throws 400 for one outside `allowed`. */
export function parseInfo (info: string | undefined, allowed: readonly Attribute[]): ReadonlySet<Attribute> {
  const out = new Set<Attribute>()
  if (info === undefined) return out
  for (const part of info.split(',')) {
    const name = part.trim()
    if (name === '') continue
    if (!(allowed as readonly string[]).includes(name)) {
      throw new InvalidRequestError(`Unknown info attribute ${JSON.stringify(name.slice(0, 64))}; expected ${allowed.join(', ')}`)
    }
    out.add(name as Attribute)
  }
  return out
}

export const isPresence = (channel: string): boolean => channelType(channel).kind === 'presence'

/** Throws 400 when `user_count` is asked for a channel that is not a presence channel. */
export function checkUserCount (attributes: ReadonlySet<Attribute>, channels: readonly string[]): void {
  if (!attributes.has('user_count')) return
  const other = channels.find((channel) => !isPresence(channel))
  if (other !== undefined) {
    throw new InvalidRequestError(`info=user_count applies to presence channels only; ${JSON.stringify(other)} is not one`)
  }
}

/** The asked attributes of a channel from its counts. */
export function attributesOf (attributes: ReadonlySet<Attribute>, counts: ChannelCounts): ChannelAttributes {
  const out: ChannelAttributes = {}
  if (attributes.has('subscription_count')) out.subscription_count = counts.subscriptionCount
  if (attributes.has('user_count')) out.user_count = counts.userCount ?? 0
  return out
}

/** The asked attributes of each channel, read after publishing. */
export async function channelsAttributes (hub: Hub, appId: string, channels: readonly string[],
  attributes: ReadonlySet<Attribute>): Promise<Record<string, ChannelAttributes>> {
  const out = dict<ChannelAttributes>()
  for (const channel of channels) out[channel] = attributesOf(attributes, await hub.channel(appId, channel))
  return out
}
