/**
 * TypeBox schemas of every inbound message, compiled once. `data` arrives either as an object or as a JSON
 * string holding an object (clients do both); the codec unwraps the string form before these checks.
 */
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'

/** The envelope of every client → server frame. */
export const InboundFrame = Type.Object({
  event: Type.String({ minLength: 1 }),
  channel: Type.Optional(Type.String()),
  data: Type.Optional(Type.Unknown())
})
export type InboundFrame = Static<typeof InboundFrame>

/** `<p>:subscribe` data. */
export const SubscribeData = Type.Object({
  channel: Type.String(),
  auth: Type.Optional(Type.String()),
  channel_data: Type.Optional(Type.String())
})
export type SubscribeData = Static<typeof SubscribeData>

/** `<p>:unsubscribe` data. */
export const UnsubscribeData = Type.Object({
  channel: Type.String()
})
export type UnsubscribeData = Static<typeof UnsubscribeData>

export const checkInboundFrame = TypeCompiler.Compile(InboundFrame)
export const checkSubscribeData = TypeCompiler.Compile(SubscribeData)
export const checkUnsubscribeData = TypeCompiler.Compile(UnsubscribeData)
