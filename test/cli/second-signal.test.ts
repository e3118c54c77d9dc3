/** A second signal during the drain exits the real standalone process at once. */
import t from 'tap'
import { startProcess, stubborn } from './process.js'

t.test('a second signal exits at once', async (t) => {
  const server = await startProcess(t, [], { BROADCASTT_DRAIN_WINDOW_MS: '0', BROADCASTT_SHUTDOWN_GRACE_MS: '600000' })
  const holder = await stubborn(server)
  server.child.kill('SIGTERM')
  await holder.got4200 // draining, and held open by the client that never answers
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 143, 'exit code 128 + SIGTERM')
  holder.socket.destroy()
})
