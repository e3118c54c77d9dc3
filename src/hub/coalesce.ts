/**
 * Coalescing a connection's writes of one event-loop turn into one system call. The first write to a socket
 * in a turn corks it; one `setImmediate` per turn uncorks every socket corked in it, and Node then hands
 * each socket's frames of that turn to the kernel as a single `writev`. Several events published in the
 * same turn (requests that arrived together, a batch, a presence join and its member event) cost one
 * system call per subscriber instead of one per frame; a lone frame waits only until the turn ends.
 *
 * Order is kept: everything written to the socket — these frames and ws's own control frames — goes into
 * the same corked stream. Corked bytes count in `writableLength`, so slow-consumer checks still see them,
 * and `end()`/`destroy()` of a corked socket behave as for any socket.
 */
import type { Writable } from 'node:stream'

let corked: Writable[] = []
let scheduled = false

function flush (): void {
  scheduled = false
  const sockets = corked
  corked = []
  for (const socket of sockets) socket.uncork()
}

/** Corks `socket` until the end of this event-loop turn, unless it already is. */
export function corkForTurn (socket: Writable): void {
  if (socket.writableCorked !== 0) return
  socket.cork()
  corked.push(socket)
  if (!scheduled) {
    scheduled = true
    setImmediate(flush)
  }
}
