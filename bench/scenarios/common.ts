/** What every scenario shares: its options, its figures and the pacing helpers. */
import { setTimeout as delay } from 'node:timers/promises'
import type { Settle } from '../ipc.js'
import type { Server } from '../servers.js'

export interface BenchOptions {
  quick: boolean
  settle: Settle
  subscribers: number
  events: number
  payload: number
  window: number
  idleConnections: number
  triggerSeconds: number
  channelConnections: number
  channelRate: number
  channelSeconds: number
  presenceWatchers: number
  presenceChurners: number
  presenceSeconds: number
  /** With --cpu-prof: where scenarios that start servers of their own (abuse) write their profiles. */
  profileDir?: string | undefined
}

/** A scenario's figures by name (see `METRICS` in `bench/table.ts` for units and direction). */
export type Figures = Record<string, number>

export type Scenario = (server: Server, options: BenchOptions) => Promise<Figures>

export const ORIGIN = performance.timeOrigin
export const now = (): number => ORIGIN + performance.now()

/** No delivery for this long means deliveries were lost. */
export const STALL_MS = 15_000

/** Resolves when `done()` turns true; rejects when `progress()` has not moved for STALL_MS. */
export async function until (done: () => boolean, progress: () => number, what: string): Promise<void> {
  let seen = progress()
  let since = Date.now()
  while (!done()) {
    await delay(20)
    const p = progress()
    if (p !== seen) {
      seen = p
      since = Date.now()
    } else if (Date.now() - since > STALL_MS) throw new Error(`${what}: no progress for ${STALL_MS / 1000} s (at ${p})`)
  }
}

/** The server's CPU seconds spent while `body` runs. */
export async function cpuDuring (server: Server, body: () => Promise<void>): Promise<number> {
  const before = await server.cpu()
  await body()
  return await server.cpu() - before
}
