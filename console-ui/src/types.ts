/** What the console's API sends (src/console on the server). */

export const KINDS = ['connection', 'subscription', 'channel', 'event', 'client_event', 'member', 'user', 'webhook'] as const
export type Kind = typeof KINDS[number]

export const KIND_LABELS: Record<Kind, string> = {
  connection: 'Connections',
  subscription: 'Subscriptions',
  channel: 'Channels occupied / vacated',
  event: 'Backend events',
  client_event: 'Client events',
  member: 'Presence members',
  user: 'Sign-ins',
  webhook: 'Webhooks'
}

export interface AppSummary {
  id: string
  key: string
  name?: string
  enabled: boolean
  connections: number
  channels: number
  subscriptions: number
}

export interface NodeInfo { id: string, adapter: string }

/** One log entry: `type` is the hub event; the other fields are its payload. */
export interface Entry {
  time: number
  kind: Kind | 'notice'
  type: string
  channel?: string
  channels?: string[]
  socketId?: string
  code?: number
  event?: string
  data?: string
  bytes?: number
  truncated?: boolean
  userId?: string
  userInfo?: unknown
  url?: string
  events?: number
  attempts?: number
  attempt?: number
  reason?: string
  count?: number
  /** Set by the page: a number for keys. */
  seq?: number
}
