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

/** `<p>:signin` data (PROTOCOL.md §8); `user_data` is checked separately, over the exact string signed. */
export const SigninData = Type.Object({
  auth: Type.String(),
  user_data: Type.String()
})
export type SigninData = Static<typeof SigninData>

/** The parsed `user_data` of a sign-in: a non-empty string `id`, optional `user_info` and `watchlist`. */
export const UserData = Type.Object({
  id: Type.String({ minLength: 1 }),
  user_info: Type.Optional(Type.Unknown()),
  watchlist: Type.Optional(Type.Array(Type.String()))
})
export type UserData = Static<typeof UserData>

export const checkInboundFrame = TypeCompiler.Compile(InboundFrame)
export const checkSubscribeData = TypeCompiler.Compile(SubscribeData)
export const checkUnsubscribeData = TypeCompiler.Compile(UnsubscribeData)
export const checkSigninData = TypeCompiler.Compile(SigninData)
export const checkUserData = TypeCompiler.Compile(UserData)
