/**
 * Preloaded into every bench server process (`node --expose-gc --import bench/probe.ts …`), whichever server
 * it is — this project, the raw `ws` loop or soketi — so that all three are measured by the same code: CPU
 * time from `process.cpuUsage()` (every thread of the process, not wall time) and memory after forced,
 * settled GCs. It answers the driver over the IPC channel `fork` opens and does nothing else.
 *
 * With BENCH_PROFILE_DIR set, it also profiles exactly what the CPU figure covers: each scenario reads the
 * CPU before and after its measured phase, so a CPU profile runs from one `probe-cpu` to the next and is
 * written to that folder (start-up and connection set-up stay out of it).
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { settledMemory, type ProbeReply, type ProbeRequest } from './ipc.js'

const gc = globalThis.gc
const send = (message: ProbeReply): void => { if (process.connected) process.send?.(message) }
const profileDir = process.env.BENCH_PROFILE_DIR
let session: Session | undefined

async function toggleProfile (dir: string): Promise<void> {
  if (session === undefined) {
    session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 200 })
    await session.post('Profiler.start')
    return
  }
  const { profile } = await session.post('Profiler.stop')
  session.disconnect()
  session = undefined
  writeFileSync(`${dir}/${process.env.BENCH_PROFILE_NAME ?? 'server'}-${Date.now()}.cpuprofile`, JSON.stringify(profile))
}

async function cpu (): Promise<void> {
  const usage = process.cpuUsage()
  if (profileDir !== undefined) await toggleProfile(profileDir)
  send({ type: 'probe-cpu', usage })
}

if (process.send !== undefined) {
  process.on('message', (message: ProbeRequest) => {
    if (message.type === 'probe-cpu') void cpu()
    if (message.type === 'probe-memory') {
      if (gc === undefined) throw new Error('bench/probe.ts needs --expose-gc')
      void settledMemory(gc, message.settle).then((memory) => { send({ type: 'probe-memory', memory }) })
    }
  })
  // The channel must not keep the server alive: a server that closes on SIGTERM exits as it would without
  // the probe.
  process.channel?.unref()
  // The driver vanished (killed, timed out): nothing left to measure for.
  process.on('disconnect', () => { process.exit(1) })
}
