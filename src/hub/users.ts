/**
 * Users (PROTOCOL.md §8): `<p>:signin` with a signature over `<socket_id>::user::<user_data>`, the
 * `#server-to-user-{id}` channel (see subscribe.ts), termination of a user's connections, and the
 * "authorized connections" deadline swept by the heartbeat.
 */
import { channelNameProblem, userChannel } from '../protocol/channel-name.js'
import { dataObject } from '../protocol/codec.js'
import { checkSigninData, checkUserData, type UserData } from '../protocol/messages.js'
import { WireError } from '../protocol/wire-errors.js'
import type { Connection } from './connection.js'
import type { Hub } from './hub.js'
import { MAX_USER_ID_LENGTH } from './presence.js'
import { userSignatureProblem } from './signatures.js'
import { signedInWithWatchlist } from './watchlist.js'

/** Parses `user_data`: a JSON object string with a non-empty string `id`. */
function parseUserData (text: string): UserData | undefined {
  const value = dataObject(text)
  return value !== undefined && checkUserData.Check(value) ? value : undefined
}

/**
 * Why a user id cannot sign in, or undefined. A signed-in user must be able to subscribe to its
 * `#server-to-user-{id}` channel (pusher-js does so at once), so the id follows the channel name rules (the
 * characters A-Z a-z 0-9 _ - = @ , . ;, and the whole name within the app's `nameLength`), and, since it
 * is also the user's presence id, it has at most MAX_USER_ID_LENGTH characters.
 */
export function userIdProblem (id: string, nameLength: number): string | undefined {
  if (id.length > MAX_USER_ID_LENGTH) return `user id is longer than ${MAX_USER_ID_LENGTH} characters`
  const problem = channelNameProblem(userChannel(id), nameLength)
  return problem === undefined ? undefined : `user id cannot form the channel ${userChannel(id).slice(0, 40)}…: ${problem}`
}

/** Handles `<p>:signin`: `signin_success`, or `error` 4009 and close. */
export function onSignin (hub: Hub, conn: Connection, data: unknown): Promise<void> | undefined {
  const body = dataObject(data)
  if (body === undefined || !checkSigninData.Check(body)) {
    conn.error(WireError.Unauthorized, 'signin needs data {"auth": string, "user_data": string}')
    return undefined
  }
  const problem = userSignatureProblem(conn, body.user_data, body.auth)
  if (problem !== undefined) {
    conn.error(WireError.Unauthorized, `Sign-in failed: ${problem}`)
    return undefined
  }
  const user = parseUserData(body.user_data)
  if (user === undefined) {
    conn.error(WireError.Unauthorized, 'Sign-in failed: user_data must be a JSON object string with a non-empty string "id"')
    return undefined
  }
  const idProblem = userIdProblem(user.id, conn.app.limits.nameLength)
  if (idProblem !== undefined) {
    conn.error(WireError.Unauthorized, `Sign-in failed: ${idProblem}`)
    return undefined
  }
  if (conn.userId !== undefined && conn.userId !== user.id) {
    conn.error(WireError.Unauthorized, 'Sign-in failed: this connection is signed in as another user')
    return undefined
  }
  const first = conn.userId === undefined
  conn.userId = user.id
  conn.userInfo = user.user_info ?? null
  conn.authDeadline = -1
  conn.sendEvent(conn.dialect.signinSuccess, { user_data: body.user_data })
  if (first) {
    hub.signIn(conn, user.id)
    hub.events.emit('user_signed_in', { appId: conn.app.id, userId: user.id, socketId: conn.socketId })
  }
  return conn.app.watchlist ? signedInWithWatchlist(hub, conn, user.id, user.watchlist ?? []) : undefined
}

/**
 * Starts a new connection's authorization deadline when its app requires authorized connections: it must
 * sign in or join a private, encrypted or presence channel by then (checked by `checkAuthDeadline`).
 */
export function startAuthDeadline (conn: Connection, now: number): void {
  const { app } = conn
  if (app.authorizedConnections) conn.authDeadline = now + app.authorizationTimeout * 1000
}

/** Closes a connection whose authorization deadline has passed (4009); called by the heartbeat sweep. */
export function checkAuthDeadline (conn: Connection, now: number): void {
  if (conn.authDeadline !== -1 && now >= conn.authDeadline) {
    conn.authDeadline = -1
    conn.error(WireError.Unauthorized, 'Not authorized in time: sign in or subscribe to a private channel')
  }
}
