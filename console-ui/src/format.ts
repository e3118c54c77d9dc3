/** One line of text per log entry, and its details (shown on click). */
import type { Entry } from './types.js'

const plural = (n: number | undefined, word: string): string => `${n ?? 0} ${word}${n === 1 ? '' : 's'}`

export function time (ms: number): string {
  const d = new Date(ms)
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

export function describe (e: Entry): string {
  const sock = e.socketId ?? '?'
  switch (e.type) {
    case 'connection_opened': return `${sock} connected`
    case 'connection_closed': return `${sock} closed, code ${e.code ?? 'none'}`
    case 'connection_refused': return `connection refused, code ${e.code ?? '?'}`
    case 'subscribed': return `${sock} subscribed to ${e.channel ?? ''}`
    case 'unsubscribed': return `${sock} left ${e.channel ?? ''}`
    case 'channel_occupied': return `${e.channel ?? ''} occupied`
    case 'channel_vacated': return `${e.channel ?? ''} vacated`
    case 'cache_miss': return `cache miss on ${e.channel ?? ''}`
    case 'event_triggered':
      return `event ${e.event ?? ''} on ${(e.channels ?? []).join(', ')}, ${plural(e.bytes, 'byte')}` +
        (e.socketId === undefined ? '' : `, except ${e.socketId}`)
    case 'client_event': return `client event ${e.event ?? ''} on ${e.channel ?? ''} from ${sock}, ${plural(e.bytes, 'byte')}`
    case 'member_added': return `member ${e.userId ?? ''} joined ${e.channel ?? ''}`
    case 'member_removed': return `member ${e.userId ?? ''} left ${e.channel ?? ''}`
    case 'user_signed_in': return `${sock} signed in as ${e.userId ?? ''}`
    case 'webhook_delivered': return `webhook sent to ${e.url ?? ''}: ${plural(e.events, 'event')}, attempt ${e.attempts ?? 1}`
    case 'webhook_retried': return `webhook to ${e.url ?? ''} failed (attempt ${e.attempt ?? '?'}): ${e.reason ?? ''}; retrying`
    case 'webhook_failed': return `webhook to ${e.url ?? ''} given up: ${plural(e.events, 'event')}, ${e.reason ?? ''}`
    case 'webhook_overflow': return `webhook queue full: ${plural(e.events, 'event')} not sent to ${e.url ?? ''}`
    case 'dropped': return `${plural(e.count, 'entry')} dropped: this tab did not keep up`.replace('entrys', 'entries')
    default: return e.type
  }
}

/** The data shown when an entry is opened: pretty JSON when it parses, else the text as is. */
export function details (e: Entry): string | undefined {
  const raw = e.data ?? (e.userInfo === undefined ? undefined : JSON.stringify(e.userInfo))
  if (raw === undefined) return undefined
  let text = raw
  try {
    text = JSON.stringify(JSON.parse(raw), null, 2)
  } catch {}
  return e.truncated === true ? `${text}\n… (cut: the data is ${e.bytes ?? '?'} bytes)` : text
}
