/** Messages between nodes: malformed or unknown-version ones are logged and dropped; valid ones go through. */
import t from 'tap'
import { Redis } from 'ioredis'
import { RedisAdapter } from '../../src/adapters/redis.js'
import { decodeMessage, encodeMessage, OwnEchoes } from '../../src/adapters/redis-messages.js'
import { REDIS_URL, testPrefix } from '../helpers/redis.js'
import { RecordingNode } from './adapter-suite.js'

t.test('decode: version, schema and JSON are checked', async (t) => {
  const valid = encodeMessage('n1', { type: 'terminate', appId: 'a', userId: 'u' })
  t.match(decodeMessage(valid), { ok: true, node: 'n1', message: { type: 'terminate', appId: 'a', userId: 'u' } })
  t.match(decodeMessage(valid.replace('"v":1', '"v":2')), { ok: false, reason: /unknown version 2/ })
  t.match(decodeMessage('{"v":1,"node":"n","type":"event","appId":"a"}'), { ok: false })
  t.match(decodeMessage('{"v":1,"node":"n","type":"nope","appId":"a"}'), { ok: false })
  t.match(decodeMessage('not json'), { ok: false, reason: 'not JSON' })
  t.match(decodeMessage(encodeMessage('n1', { type: 'barrier', id: 'b1' })), { ok: true, node: 'n1', message: { type: 'barrier', id: 'b1' } })
  t.match(decodeMessage('{"v":1,"node":"n","type":"barrier"}'), { ok: false }, 'a barrier has an id')
})

t.test('a node drops and logs what it cannot read, and keeps going', async (t) => {
  const prefix = testPrefix(t)
  const warnings: string[] = []
  const adapter = new RedisAdapter({ url: REDIS_URL, keyPrefix: prefix, logger: { warn (_o, msg) { warnings.push(msg) }, error () {} } })
  const node = new RecordingNode()
  await adapter.attach(node)
  t.teardown(() => adapter.close())
  const raw = new Redis(REDIS_URL)
  t.teardown(() => { raw.disconnect() })
  await raw.publish(`${prefix}{all}`, 'garbage')
  await raw.publish(`${prefix}{all}`, JSON.stringify({ v: 9, node: 'x', type: 'terminate', appId: 'a', userId: 'u' }))
  await raw.publish(`${prefix}{all}`, encodeMessage('other-node', { type: 'barrier', id: 'b1' }))
  await raw.publish(`${prefix}{all}`, encodeMessage('other-node', { type: 'watchlist', appId: 'a', userId: 'u', online: true }))
  t.same(await node.receivedCount(1), [{ type: 'watchlist', appId: 'a', userId: 'u', online: true }],
    'only the valid one (another node\'s barrier is not for this one)')
  t.equal(warnings.filter((w) => /malformed/.test(w)).length, 2, 'each dropped message is logged')
})

t.test('own echoes: taken once by their exact text, bounded', async (t) => {
  const echoes = new OwnEchoes(2)
  const a = { type: 'event', appId: 'a', channel: 'c', name: 'n', data: '1' } as const
  echoes.sent('text-a', a)
  t.equal(echoes.take('text-b'), undefined, 'another text is not this message')
  t.equal(echoes.take('text-a'), a)
  t.equal(echoes.take('text-a'), undefined, 'taken once: a second identical text is parsed as usual')
  echoes.sent('1', a)
  echoes.sent('2', a)
  echoes.sent('3', a)
  t.equal(echoes.size, 1, 'at the bound, entries whose echo never came are dropped')
})

t.test('a node delivers its own channel message from its echo without reading it again', async (t) => {
  const prefix = testPrefix(t)
  const publisher = new RedisAdapter({ url: REDIS_URL, keyPrefix: prefix })
  const other = new RedisAdapter({ url: REDIS_URL, keyPrefix: prefix })
  const mine = new RecordingNode()
  const theirs = new RecordingNode()
  await publisher.attach(mine)
  await other.attach(theirs)
  t.teardown(async () => { await Promise.all([publisher.close(), other.close()]) })
  mine.setCount('a', 'c', 1)
  theirs.setCount('a', 'c', 1)
  await Promise.all([publisher.subscribe('a', 'c'), other.subscribe('a', 'c')])
  const sent = [1, 2, 3].map((i) => ({ type: 'event', appId: 'a', channel: 'c', name: 'n', data: String(i) } as const))
  for (const message of sent) await publisher.publish(message)
  await other.publish({ type: 'event', appId: 'a', channel: 'c', name: 'n', data: '4' })
  const got = await mine.receivedCount(4)
  t.same(got, [...sent, { type: 'event', appId: 'a', channel: 'c', name: 'n', data: '4' }], 'in publication order, through Redis')
  t.ok(sent.every((message, i) => got[i] === message), 'its own are the very objects it published')
  t.same(await theirs.receivedCount(4), got, 'the other node gets the same, in the same order')
  t.not(theirs.received[0], sent[0], 'another node reads the text')
})
