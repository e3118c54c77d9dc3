/**
 * Preloaded into every bench server process (`node --expose-gc --import bench/probe.ts …`), whichever server
 * it is — this project, the raw `ws` loop or soketi — so that all three are measured by the same code: CPU
 * time from `process.cpuUsage()` (every thread of the process, not wall time) and memory after forced,
 * settled GCs. It answers the driver over the IPC channel `fork` opens and does nothing else.
 */
import { settledMemory, type ProbeReply, type ProbeRequest } from './ipc.js'

const gc = globalThis.gc
const send = (message: ProbeReply): void => { if (process.connected) process.send?.(message) }

if (process.send !== undefined) {
  process.on('message', (message: ProbeRequest) => {
    if (message.type === 'probe-cpu') send({ type: 'probe-cpu', usage: process.cpuUsage() })
    if (message.type === 'probe-memory') {
      if (gc === undefined) throw new Error('bench/probe.ts needs --expose-gc')
      void settledMemory(gc, message.settle).then((memory) => { send({ type: 'probe-memory', memory }) })
    }
  })
  // The driver vanished (killed, timed out): nothing left to measure for.
  process.on('disconnect', () => { process.exit(1) })
}
