/**
 * What a changed app does to this node's open connections (docs/apps.md): gone (deleted, or no longer
 * valid) → closed 4001; disabled → closed 4003; otherwise every connection holds the new version, so its
 * limits, client events, webhooks and origins apply from the next frame on. Emits `app_changed`.
 */
import type { Hub } from '../hub/hub.js'
import { WireError } from '../protocol/wire-errors.js'
import type { App } from './app-store.js'

export function applyAppChange (hub: Hub, id: string, app: App | undefined): void {
  const connections = [...hub.appConnections(id)]
  const change = app === undefined ? 'deleted' : app.enabled ? 'updated' : 'disabled'
  if (app !== undefined && app.enabled) {
    for (const conn of connections) conn.app = app
  } else {
    const spec = app === undefined ? WireError.AppNotFound : WireError.AppDisabled
    const message = app === undefined ? `App ${id.slice(0, 64)} no longer exists` : spec.reason
    for (const conn of connections) conn.error(spec, message)
  }
  hub.events.emit('app_changed', { appId: id, change, connections: connections.length })
}
