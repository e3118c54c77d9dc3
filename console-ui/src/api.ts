/** The console's API, relative to its base path (the page's `data-base`). */
import type { AppSummary, NodeInfo } from './types.js'

export interface Answer { status: number, body: unknown }

export class Api {
  constructor (readonly base: string) {}

  async apps (): Promise<{ node: NodeInfo, apps: AppSummary[] }> {
    const res = await fetch(`${this.base}/api/apps`, { credentials: 'same-origin' })
    if (!res.ok) throw new Error(`GET /api/apps answered ${res.status}`)
    return await res.json() as { node: NodeInfo, apps: AppSummary[] }
  }

  stream (appId: string): EventSource {
    return new EventSource(`${this.base}/api/stream?app=${encodeURIComponent(appId)}`)
  }

  async trigger (appId: string, body: Record<string, unknown>): Promise<Answer> {
    const res = await fetch(`${this.base}/api/apps/${encodeURIComponent(appId)}/events`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body)
    })
    const text = await res.text()
    let parsed: unknown = text
    try { parsed = JSON.parse(text) } catch {}
    return { status: res.status, body: parsed }
  }
}
