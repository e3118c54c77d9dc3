/**
 * Durability against real Redis: the receiver is down, webhooks are triggered, the node is killed with
 * SIGKILL while retrying, another node starts, the receiver comes up, and every webhook arrives (duplicates
 * allowed, losses not). Nodes are real child processes.
 */
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { REDIS_URL, testRedis } from '../helpers/redis.js'
import { open } from '../helpers/ws-client.js'
import { Receiver } from './receiver.js'
import { LOADER_ARGS } from '../loader/args.js'

const NODE_SCRIPT = fileURLToPath(new URL('./fixtures/node.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

interface Node {
  child: ChildProcess
  port: number
  /** Parsed stdout lines, and a way to wait for one. */
  lines: Array<Record<string, unknown>>
  until (done: (lines: Array<Record<string, unknown>>) => boolean): Promise<void>
  exited: Promise<unknown>
}

async function startNode (t: { teardown (fn: () => unknown): void }, env: Record<string, string>): Promise<Node> {
  const child = spawn(process.execPath, [...LOADER_ARGS, NODE_SCRIPT], {
    cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit']
  })
  const exited = new Promise((resolve) => { child.once('exit', resolve) })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  const lines: Array<Record<string, unknown>> = []
  const waiters = new Set<() => void>()
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>)
    for (const wake of waiters) wake()
  })
  const until = async (done: (l: typeof lines) => boolean): Promise<void> => {
    while (!done(lines)) {
      await new Promise<void>((resolve, reject) => {
        waiters.add(resolve)
        void exited.then(() => { reject(new Error('the node exited')) })
      }).finally(() => { waiters.clear() })
    }
  }
  await until((l) => l.some((line) => typeof line.port === 'number'))
  const port = lines.find((line) => typeof line.port === 'number')?.port as number
  return { child, port, lines, until, exited }
}

t.test('a node killed mid-retry loses no webhook: another node delivers them', async (t) => {
  const { prefix, redis } = testRedis(t)
  // The receiver's port, free again: the receiver is down until it listens there later.
  const receiver = new Receiver()
  const port = (await receiver.listen()).port
  await receiver.close()
  const env = { REDIS_URL, KEY_PREFIX: prefix, RECEIVER_URL: `http://127.0.0.1:${port}/hook`, CLAIM_IDLE_MS: '500' }

  const first = await startNode(t, env)
  const client = await open(t, `ws://127.0.0.1:${first.port}/app/key?protocol=7`)
  const channels = Array.from({ length: 10 }, (_, i) => `durable-${i}`)
  for (const channel of channels) await client.subscribe(channel)
  // Mid-retry: all 10 events are in the stream, node 1 holds every entry, and it has retried as many times.
  const stream = `${prefix}webhooks:app:lifecycle`
  const retried = (lines: Array<Record<string, unknown>>): number => lines.filter((l) => l.webhook_retried !== undefined).length
  let entries: Array<[string, string[]]> = []
  for (let seen = 1; ; seen = retried(first.lines) + 1) {
    await first.until((lines) => retried(lines) >= seen)
    entries = await redis.xrange(stream, '-', '+')
    const queued = entries.reduce((sum, [, fields]) => sum + Number(fields[fields.indexOf('events') + 1]), 0)
    const pending = (await redis.xpending(stream, 'broadcastt-webhooks') as [number])[0]
    if (queued === 10 && pending === entries.length && retried(first.lines) >= entries.length) break
  }
  t.ok(entries.length >= 4, `the 10 events are queued in the Redis stream (${entries.length} deliveries)`)
  t.equal(first.lines.filter((l) => l.webhook_delivered !== undefined).length, 0, 'none delivered yet')

  first.child.kill('SIGKILL')
  t.equal(await first.exited, null, 'killed, not exited')
  t.equal(first.child.signalCode, 'SIGKILL')

  const second = await startNode(t, env)
  await receiver.listen(port)
  t.teardown(() => receiver.close())
  await receiver.until(() => channels.every((c) => receiver.events.some((e) => e.channel === c)))
  t.same([...new Set(receiver.events.map((e) => e.channel))].sort(), [...channels].sort(), 'every webhook arrived')
  t.ok(receiver.events.every((e) => e.name === 'channel_occupied'))
  await second.until((lines) => lines.filter((l) => l.webhook_delivered !== undefined).length >= entries.length)
  // The node acknowledges an entry after its log line; give it until the stream is empty (or 5 s).
  for (let i = 0; i < 250 && await redis.xlen(stream) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(await redis.xlen(stream), 0, 'delivered entries are acknowledged and deleted')
  t.equal(receiver.events.length, channels.length, 'each webhook arrived once')
  second.child.kill('SIGTERM')
  await second.exited
})
