/**
 * Plain counters on the hot paths, read by the Prometheus collectors at scrape time. Increments are integer
 * additions on an object the caller already holds (a connection's `traffic`, or one map lookup per
 * delivery, not per subscriber); prom-client is never called on a hot path. Created only when metrics are on.
 */

/** What a message is: a backend-triggered channel event, a client event, or a protocol message. */
export const KINDS = ['channel_event', 'client_event', 'protocol'] as const
export type Kind = typeof KINDS[number]

type PerKind = Record<Kind, number>
const perKind = (): PerKind => ({ channel_event: 0, client_event: 0, protocol: 0 })

/** One app's counters. */
export class AppTraffic {
  framesIn = 0
  bytesIn = 0
  clientEventsIn = 0
  readonly messagesOut = perKind()
  readonly bytesOut = perKind()
  /** Client events refused for the connection's rate (4301). */
  clientEventRateRefusals = 0
  /** Inbound frames dropped over the connection's frame budget (4303, or the 4100 close). */
  frameRateRefusals = 0

  received (bytes: number): void {
    this.framesIn++
    this.bytesIn += bytes
  }

  /** A protocol message sent to one connection. */
  sent (bytes: number): void {
    this.messagesOut.protocol++
    this.bytesOut.protocol += bytes
  }

  /** One delivery of a channel frame to `count` connections, `bytes` in all. */
  delivered (kind: Kind, count: number, bytes: number): void {
    this.messagesOut[kind] += count
    this.bytesOut[kind] += bytes
  }
}

/**
 * The kind of a channel frame from its first bytes (one check per delivery): `encodeChannelEvent` and
 * `encodeDialectEvent` serialize `event` first, so a client event starts `{"event":"client-` and a
 * protocol event (member_added, …) `{"event":"pusher` in its pusher variant.
 */
export function kindOfFrame (pusherFrame: string): Kind {
  if (pusherFrame.startsWith('{"event":"client-')) return 'client_event'
  if (pusherFrame.startsWith('{"event":"pusher')) return 'protocol'
  return 'channel_event'
}

export class Traffic {
  readonly #apps = new Map<string, AppTraffic>()
  /** Adapter publishes that failed. */
  publishErrors = 0
  /** Failures of background work (adapter calls nobody awaits, listener errors). */
  backgroundErrors = 0

  of (appId: string): AppTraffic {
    let app = this.#apps.get(appId)
    if (app === undefined) {
      app = new AppTraffic()
      this.#apps.set(appId, app)
    }
    return app
  }

  apps (): Iterable<readonly [string, AppTraffic]> {
    return this.#apps.entries()
  }
}
