import t from 'tap'
import { connect as netConnect } from 'node:net'
import WebSocket from 'ws'
import { startServer, TEST_APP } from '../helpers/server.js'
import { connect, open } from '../helpers/ws-client.js'
import { within } from '../helpers/within.js'

t.test('both paths and both dialects complete the handshake', async (t) => {
  const server = await startServer(t)
  const cases = [
    { path: 'app', query: 'protocol=7&client=js&version=8.4.0', event: 'pusher:connection_established' },
    { path: 'apps', query: 'protocol=7', event: 'pusher:connection_established' },
    { path: 'apps', query: '', event: 'broadcastt:connection_established' },
    { path: 'app', query: '', event: 'broadcastt:connection_established' },
    { path: 'app', query: 'protocol=5', event: 'pusher:connection_established' }
  ] as const
  const ids = new Set<string>()
  for (const c of cases) {
    const { client, first } = await connect(server.wsUrl(TEST_APP.key, c.query, c.path))
    t.equal(first.event, c.event, `${c.path}?${c.query}`)
    t.type(first.data, 'string', 'data is a JSON string')
    const data = first.json as { socket_id: string, activity_timeout: number }
    t.match(data.socket_id, /^\d+\.\d+$/)
    t.equal(data.activity_timeout, 120)
    ids.add(data.socket_id)
    await client.close()
  }
  t.equal(ids.size, cases.length, 'socket ids are unique')
})

t.test('activity_timeout is the configured one', async (t) => {
  const server = await startServer(t, { activityTimeout: 33 })
  const { first } = await connect(server.wsUrl())
  t.equal((first.json as { activity_timeout: number }).activity_timeout, 33)
})

t.test('refused upgrades get an error event and a close code', async (t) => {
  const server = await startServer(t, {
    apps: [
      TEST_APP,
      { id: 'off', key: 'off-key', secret: 's', enabled: false },
      { id: 'native', key: 'native-key', secret: 's', dialects: ['broadcastt'] },
      { id: 'pushers', key: 'pusher-key', secret: 's', dialects: ['pusher'] },
      { id: 'guarded', key: 'guarded-key', secret: 's', allowedOrigins: ['https://good.example'] }
    ]
  })
  const cases = [
    { key: 'nope', query: 'protocol=7', code: 4001, event: 'pusher:error', message: /nope/ },
    { key: 'nope', query: '', code: 4001, event: 'broadcastt:error', message: /does not exist/ },
    { key: 'off-key', query: 'protocol=7', code: 4003, event: 'pusher:error', message: /disabled/ },
    { key: TEST_APP.key, query: 'protocol=seven', code: 4006, event: 'pusher:error', message: /protocol/ },
    { key: TEST_APP.key, query: 'protocol=', code: 4006, event: 'pusher:error', message: /protocol/ },
    { key: TEST_APP.key, query: 'protocol=8', code: 4007, event: 'pusher:error', message: /Unsupported/ },
    { key: TEST_APP.key, query: 'protocol=4', code: 4007, event: 'pusher:error', message: /Unsupported/ },
    { key: 'native-key', query: 'protocol=7', code: 4007, event: 'pusher:error', message: /Unsupported/ },
    { key: 'pusher-key', query: '', code: 4007, event: 'broadcastt:error', message: /Unsupported/ },
    { key: 'guarded-key', query: 'protocol=7', code: 4009, event: 'pusher:error', message: /Origin/ }
  ]
  for (const c of cases) {
    const { client, first } = await connect(server.wsUrl(c.key, c.query))
    t.equal(first.event, c.event, `${c.key}?${c.query}`)
    const data = first.json as { code: number, message: string }
    t.equal(data.code, c.code)
    t.match(data.message, c.message)
    const closed = await client.closed
    t.equal(closed.code, c.code, 'closed with the same code')
  }
  const { first } = await connect(server.wsUrl('guarded-key'), { origin: 'https://good.example' })
  t.equal(first.event, 'pusher:connection_established', 'an allowed origin connects')
})

t.test('connection quotas: per app 4004, per server 4100', async (t) => {
  const server = await startServer(t, {
    maxConnections: 3,
    apps: [{ ...TEST_APP, limits: { maxConnections: 2 } }, { id: 'other', key: 'other-key', secret: 's' }]
  })
  const a = await open(t, server.wsUrl())
  await open(t, server.wsUrl())
  const third = await connect(server.wsUrl())
  t.equal((third.first.json as { code: number }).code, 4004)
  t.equal((await third.client.closed).code, 4004)
  await open(t, server.wsUrl('other-key'))
  const over = await connect(server.wsUrl('other-key'))
  t.equal((over.first.json as { code: number }).code, 4100, 'server over capacity')
  await a.close()
  const again = await connect(server.wsUrl())
  t.equal(again.first.event, 'pusher:connection_established', 'a freed slot can be taken again')
  again.client.ws.terminate()
})

t.test('ping and pong events in both dialects', async (t) => {
  const server = await startServer(t)
  for (const [query, p] of [['protocol=7', 'pusher'], ['', 'broadcastt']] as const) {
    const client = await open(t, server.wsUrl(TEST_APP.key, query))
    client.send(`${p}:ping`, {})
    const pong = await client.next()
    t.equal(pong.event, `${p}:pong`)
    t.equal(pong.data, '{}')
  }
})

t.test('bad frames get an error with code null and the connection stays usable', async (t) => {
  const server = await startServer(t)
  const client = await open(t, server.wsUrl())
  const bad: Array<[string | Buffer, RegExp]> = [
    ['not json', /Invalid JSON/],
    ['[1,2]', /JSON object/],
    ['"text"', /JSON object/],
    ['{"data":{}}', /event/],
    ['{"event":42}', /event/],
    [JSON.stringify({ event: 'pusher:nope', data: {} }), /Unknown event/],
    [JSON.stringify({ event: 'broadcastt:ping', data: {} }), /Unknown event/],
    [JSON.stringify({ event: 'pusher:subscribe', data: 'not an object' }), /subscribe needs data/],
    [JSON.stringify({ event: 'pusher:subscribe', data: { channel: 7 } }), /subscribe needs data/],
    [JSON.stringify({ event: 'pusher:unsubscribe' }), /unsubscribe needs data/]
  ]
  for (const [frame, message] of bad) {
    client.ws.send(frame)
    const error = await client.next()
    t.equal(error.event, 'pusher:error', String(frame))
    const json = error.json as { code: unknown, message: string }
    t.equal(json.code, null, 'code is null')
    t.match(json.message, message)
  }
  client.ws.send(Buffer.from('{"event":"pusher:ping"}'), { binary: true })
  const binary = await client.next()
  t.equal(binary.event, 'pusher:error')
  t.match((binary.json as { message: string }).message, /Binary/)
  t.equal((await client.subscribe('still-works')).event, 'pusher_internal:subscription_succeeded')
})

t.test('an oversized frame closes the connection with 1009', async (t) => {
  const server = await startServer(t, { apps: [{ ...TEST_APP, limits: { frameBytes: 2048 } }] })
  const client = await open(t, server.wsUrl())
  client.send('pusher:ping', { pad: 'x'.repeat(1900) })
  t.equal((await client.next()).event, 'pusher:pong', 'a frame within the limit is served')
  client.send('pusher:ping', { pad: 'x'.repeat(3000) })
  const closed = await client.closed
  t.equal(closed.code, 1009)
})

t.test('frames beyond every app limit are cut off by the socket layer with 1009', async (t) => {
  const server = await startServer(t)
  const client = await open(t, server.wsUrl())
  client.send('pusher:ping', { pad: 'x'.repeat(100 * 1024) })
  t.equal((await client.closed).code, 1009)
})

t.test('shutdown sends 4200 to every connection', async (t) => {
  const server = await startServer(t)
  const a = await open(t, server.wsUrl())
  const b = await open(t, server.wsUrl(TEST_APP.key, ''))
  await server.app.close()
  const errorA = a.frames.find((f) => f.event === 'pusher:error') ?? await a.next('pusher:error')
  t.equal((errorA.json as { code: number }).code, 4200)
  t.equal((await a.closed).code, 4200)
  t.equal((await b.closed).code, 4200)
  t.equal(b.ws.readyState, WebSocket.CLOSED)
})

t.test('a protocol violation after a burst of frames still gets its close code (1007), never a bare cut', async (t) => {
  const server = await startServer(t)
  const closes = await Promise.all(Array.from({ length: 10 }, async () => {
    const client = await open(t, server.wsUrl())
    for (let i = 0; i < 50; i++) client.send('pusher:ping', { i })
    client.ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false }) // invalid UTF-8 in a text frame
    return (await client.closed).code
  }))
  t.same(closes, Array.from({ length: 10 }, () => 1007))
})

t.test('a peer that never finishes the close handshake after a protocol violation is cut after the grace', async (t) => {
  const server = await startServer(t, { clock: t.clock })
  const socket = netConnect(server.port, '127.0.0.1')
  socket.on('error', () => {})
  socket.write(`GET /app/${TEST_APP.key}?protocol=7 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
  let seen = Buffer.alloc(0)
  const gone = new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) })
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk])
      if (seen.includes('connection_established')) resolve()
    })
  })
  // A masked text frame with invalid UTF-8 (mask of zeros); the peer then stays silent.
  socket.write(Buffer.from([0x81, 0x84, 0, 0, 0, 0, 0x7b, 0xc3, 0x28, 0x7d]))
  await new Promise<void>((resolve) => {
    const check = (): void => { if (seen.includes(Buffer.from([0x88, 0x02, 0x03, 0xef]))) resolve() }
    socket.on('data', check)
    check()
  })
  t.pass('the server sent its close frame with 1007')
  let cut = false
  void gone.then(() => { cut = true })
  t.clock.advance(500)
  t.notOk(cut, 'the peer may still answer within the grace')
  for (let i = 0; i < 4; i++) t.clock.advance(1000)
  t.ok(await within(2000, gone) < 2000, 'cut once the grace is over')
})
