/**
 * `fastify.broadcastt.authorizeChannel` / `authenticateUser`: an app's channel and user signatures made
 * in-process, the same bytes as the `pusher` SDK's `authorizeChannel` / `authenticateUser` on the same inputs.
 * The auth routes (routes/http/authorize.ts) answer through these too.
 */
import type { App } from '../apps/app-store.js'
import { decodeMasterKey } from '../auth/encryption.js'
import {
  channelAuthResponse, userAuthResponse, type ChannelAuthResponse, type UserAuthResponse
} from '../auth/responses.js'
import { EncryptionKeyMissingError, InvalidAuthorizationError, InvalidRequestError } from '../errors.js'
import { channelNameProblem, channelType } from '../protocol/channel-name.js'
import type { PresenceMember, UserData } from './options.js'

export type { ChannelAuthResponse, UserAuthResponse }

export interface AuthorizationHelpers {
  /**
   * The answer to a channel authorization: `auth`, plus `channel_data` when `member` is given (presence) and
   * `shared_secret` on encrypted channels. Throws FST_BROADCASTT_INVALID_REQUEST (400) for a malformed
   * socket id or channel name, FST_BROADCASTT_NO_ENCRYPTION_KEY (500) for an encrypted channel of an app
   * without `encryptionMasterKey`.
   */
  authorizeChannel (appId: string, socketId: string, channel: string, member?: PresenceMember): ChannelAuthResponse
  /** The answer to a user authentication: `auth` and `user_data` (the user as signed). */
  authenticateUser (appId: string, socketId: string, user: UserData): UserAuthResponse
}

const SOCKET_ID = /^\d{1,20}\.\d{1,20}$/

/** Why `socketId` is not a socket id (`<digits>.<digits>`), or undefined. */
export function socketIdProblem (socketId: unknown): string | undefined {
  return typeof socketId === 'string' && SOCKET_ID.test(socketId)
    ? undefined
    : 'socket_id must be a string <digits>.<digits>'
}

export function createAuthorizationHelpers (appOf: (appId: string) => App): AuthorizationHelpers {
  return {
    authorizeChannel (appId, socketId, channel, member) {
      const app = appOf(appId)
      const problem = socketIdProblem(socketId) ?? channelNameProblem(channel, app.limits.nameLength)
      if (problem !== undefined) throw new InvalidRequestError(problem)
      if (member !== undefined) checkMember(member, channel)
      if (channelType(channel).kind !== 'encrypted') return channelAuthResponse(app, socketId, channel, member)
      if (app.encryptionMasterKey === undefined) throw new EncryptionKeyMissingError(app.id)
      return channelAuthResponse(app, socketId, channel, member, decodeMasterKey(app.encryptionMasterKey))
    },
    authenticateUser (appId, socketId, user) {
      const app = appOf(appId)
      const problem = socketIdProblem(socketId)
      if (problem !== undefined) throw new InvalidRequestError(problem)
      checkUser(user)
      return userAuthResponse(app, socketId, user)
    }
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function checkMember (member: unknown, channel: string): void {
  const id = isObject(member) ? member.user_id : undefined
  if ((typeof id === 'string' && id !== '') || (typeof id === 'number' && Number.isFinite(id))) return
  throw new InvalidAuthorizationError(`The presence member for ${channel} must be an object with a non-empty user_id`)
}

function checkUser (user: unknown): void {
  if (!isObject(user) || typeof user.id !== 'string' || user.id === '') {
    throw new InvalidAuthorizationError('A signed-in user must be an object with a non-empty string id')
  }
  const { watchlist } = user
  if (watchlist !== undefined && !(Array.isArray(watchlist) && watchlist.every((id) => typeof id === 'string'))) {
    throw new InvalidAuthorizationError('A signed-in user\'s watchlist must be an array of user ids (strings)')
  }
}
