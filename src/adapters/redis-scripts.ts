/**
 * The Redis adapter's Lua scripts. Every decision (occupied/vacated, member added/removed, user
 * online/offline, connection quota) is one script on the keys of one hash slot, so it is atomic and runs
 * unchanged on a single Redis and on Redis Cluster. Key layout (P = the key prefix, `{…}` a hash tag; apps
 * ids never contain ':'; `\n` separates parts of a field), per slot:
 *
 *   channel slot {app:channel}
 *   P c:{app:ch}         HASH   node → local subscriber count (the nodes serving the channel)
 *   P p:{app:ch}         HASH   socket → user id           P pu:… HASH user id → its connections there
 *   P pi:{app:ch}        HASH   user id → user_info JSON   P q:…  per-channel sequence number (see seq_next)
 *   P pm:{app:ch}:node   SET    the node's presence sockets in the channel
 *   P k:{app:ch}         STRING the cached event (a message as published, with its seq), with a TTL
 *   P m:{app:ch}         pub/sub topic of the channel's messages (SPUBLISH on Redis Cluster)
 *   app slot {app}
 *   P a:{app}            SET    "channel\nnode" for every node serving a channel (the app's occupied channels)
 *   P u:{app}            HASH   user id → signed-in connections, cluster-wide
 *   P us:{app}:node      SET    "user\nsocket" the node's signed-in connections
 *   P cc:{app}           HASH   node → connections of the app
 *   P r:{app}:bucket     HASH   a rate's token bucket: t tokens, a ms they were counted (expires when full)
 *   node slot {node}     (an index of where the node has records, for reaping and restoring it)
 *   P n:{node}:ch        SET    "app\nchannel" where the node subscribes or has presence members
 *   P n:{node}:apps      SET    apps where the node has signed-in connections or counts connections
 *   nodes slot {nodes}
 *   P {nodes}            ZSET   node id → time (ms, Redis clock) its records expire unless refreshed
 *   P {nodes}:reaping    SET    nodes a survivor is removing
 *   P {all}              pub/sub topic of terminate, watchlist, app_changed notices and barriers
 *
 * A dead node is removed slot by slot (REAP_CHANNEL per channel of its index, REAP_APP per app), each step
 * idempotent, so a survivor that dies midway leaves the rest to the next one. Scripts take the key prefix as
 * ARGV[1] and a key of their slot as KEYS[1] (which routes them on Redis Cluster).
 */
import { createHash } from 'node:crypto'
import { Cluster, type Redis } from 'ioredis'

/** A command connection: one Redis, or a Redis Cluster. */
export type RedisClient = Redis | Cluster

const PRELUDE = `
local P = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function ctag(app, ch) return '{' .. app .. ':' .. ch .. '}' end
-- Per-channel sequence numbers (presence decisions, cached events). A counter expires SEQ_IDLE_MS after it
-- last moved, and a missing one starts at the Redis clock in microseconds: past every number it gave before,
-- as long as no channel takes a million numbers a second. So no counter outlives its channel for long.
local SEQ_IDLE_MS = 60000
local function seq_now(qk)
  local v = redis.call('GET', qk)
  if v then return tonumber(v) end
  local t = redis.call('TIME')
  local start = tonumber(t[1]) * 1000000 + tonumber(t[2])
  redis.call('SET', qk, string.format('%.0f', start), 'PX', SEQ_IDLE_MS)
  return start
end
local function seq_next(qk)
  seq_now(qk)
  local seq = redis.call('INCR', qk)
  redis.call('PEXPIRE', qk, SEQ_IDLE_MS)
  return seq
end
-- { 1 when the channel became vacated, 1 when the node had served it }
local function unsubscribe(node, app, ch)
  local key = P .. 'c:' .. ctag(app, ch)
  if redis.call('HDEL', key, node) == 1 then
    if redis.call('HLEN', key) == 0 then return { 1, 1 } end
    return { 0, 1 }
  end
  return { 0, 0 }
end
local function remove_member(node, app, ch, sock)
  local T = ctag(app, ch)
  local pk = P .. 'p:' .. T
  local user = redis.call('HGET', pk, sock)
  redis.call('SREM', P .. 'pm:' .. T .. ':' .. node, sock)
  if not user then return nil end
  redis.call('HDEL', pk, sock)
  local puk = P .. 'pu:' .. T
  if redis.call('HINCRBY', puk, user, -1) > 0 then return nil end
  redis.call('HDEL', puk, user)
  redis.call('HDEL', P .. 'pi:' .. T, user)
  return { user, seq_next(P .. 'q:' .. T) }
end
local function remove_user(node, app, user, sock)
  if redis.call('SREM', P .. 'us:{' .. app .. '}:' .. node, user .. '\\n' .. sock) == 0 then return 0 end
  local key = P .. 'u:{' .. app .. '}'
  if redis.call('HINCRBY', key, user, -1) <= 0 then
    redis.call('HDEL', key, user)
    return 1
  end
  return 0
end
local function sum(values)
  local total = 0
  for _, v in ipairs(values) do total = total + tonumber(v) end
  return total
end
`

/** Channel slot. ARGV: P, node, app, channel, local count → 1 when the channel became occupied. */
const SUBSCRIBE = `
local node, app, ch = ARGV[2], ARGV[3], ARGV[4]
local key = P .. 'c:' .. ctag(app, ch)
local had = redis.call('HLEN', key)
redis.call('HSET', key, node, ARGV[5])
if had == 0 then return 1 end
return 0`

/** Channel slot. ARGV: P, node, app, channel → 1 when the channel became vacated. */
const UNSUBSCRIBE = 'return unsubscribe(ARGV[2], ARGV[3], ARGV[4])[1]'

/** Channel slot. ARGV: P, node, app, channel, count: the node's subscriber count, kept only while it serves the channel. */
const COUNT = `
local key = P .. 'c:' .. ctag(ARGV[3], ARGV[4])
if redis.call('HEXISTS', key, ARGV[2]) == 1 then redis.call('HSET', key, ARGV[2], ARGV[5]) end
return 0`

/** Channel slot. ARGV: P, app, channel → { subscription count, user count }. */
const CHANNEL = `
local T = ctag(ARGV[2], ARGV[3])
return { sum(redis.call('HVALS', P .. 'c:' .. T)), redis.call('HLEN', P .. 'pu:' .. T) }`

/**
 * Channel slot. ARGV: P, node, app, channel, socket, user, info JSON, max members →
 * { -1 } when full, else { 1 first | 0 not, seq, user, info, user, info, ... }.
 */
const ADD_MEMBER = `
local node, app, ch, sock, user = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local T = ctag(app, ch)
local pk, puk, pik, qk = P .. 'p:' .. T, P .. 'pu:' .. T, P .. 'pi:' .. T, P .. 'q:' .. T
local status = 0
if redis.call('HEXISTS', pk, sock) == 0 then
  if redis.call('HEXISTS', puk, user) == 0 then
    if redis.call('HLEN', puk) >= tonumber(ARGV[8]) then return { -1 } end
    redis.call('HSET', pik, user, ARGV[7])
    status = 1
  end
  redis.call('HINCRBY', puk, user, 1)
  redis.call('HSET', pk, sock, user)
  redis.call('SADD', P .. 'pm:' .. T .. ':' .. node, sock)
end
local seq
if status == 1 then seq = seq_next(qk) else seq = seq_now(qk) end
local out = { status, seq }
for _, v in ipairs(redis.call('HGETALL', pik)) do out[#out + 1] = v end
return out`

/** Channel slot. ARGV: P, node, app, channel, socket → { user, seq } when it was the user's last connection, else nil. */
const REMOVE_MEMBER = 'return remove_member(ARGV[2], ARGV[3], ARGV[4], ARGV[5])'

/** Channel slot. ARGV: P, node, app, channel → the node's presence sockets in the channel (restore compares). */
const NODE_MEMBERS = "return redis.call('SMEMBERS', P .. 'pm:' .. ctag(ARGV[3], ARGV[4]) .. ':' .. ARGV[2])"

/**
 * Channel slot. ARGV: P, node, app, channel → what removing the node from the channel decided:
 * { 1 when vacated, { user, seq, ... removed } }. Running it again decides nothing.
 */
const REAP_CHANNEL = `
local node, app, ch = ARGV[2], ARGV[3], ARGV[4]
local vacated = unsubscribe(node, app, ch)[1]
local removed = {}
local pmk = P .. 'pm:' .. ctag(app, ch) .. ':' .. node
for _, sock in ipairs(redis.call('SMEMBERS', pmk)) do
  local r = remove_member(node, app, ch, sock)
  if r then removed[#removed + 1] = r[1]; removed[#removed + 1] = r[2] end
end
redis.call('DEL', pmk)
return { vacated, removed }`

/** Channel slot. ARGV: P, app, channel, pub/sub channel, message JSON without its closing brace, TTL ms, PUBLISH | SPUBLISH → seq. */
const PUBLISH_CACHED = `
local T = ctag(ARGV[2], ARGV[3])
local seq = seq_next(P .. 'q:' .. T)
local message = ARGV[5] .. ',"seq":' .. string.format('%.0f', seq) .. '}'
local key = P .. 'k:' .. T
if tonumber(ARGV[6]) > 0 then redis.call('SET', key, message, 'PX', ARGV[6]) else redis.call('DEL', key) end
redis.call(ARGV[7], ARGV[4], message)
return seq`

/** Channel slot. ARGV: P, app, channel → { message, ms left } or nil. */
const GET_CACHE = `
local key = P .. 'k:' .. ctag(ARGV[2], ARGV[3])
local message = redis.call('GET', key)
if not message then return nil end
return { message, redis.call('PTTL', key) }`

/** App slot. ARGV: P, node, app, user, socket → 1 when the user came online. */
const ADD_USER = `
local node, app, user = ARGV[2], ARGV[3], ARGV[4]
if redis.call('SADD', P .. 'us:{' .. app .. '}:' .. node, user .. '\\n' .. ARGV[5]) == 0 then return 0 end
if redis.call('HINCRBY', P .. 'u:{' .. app .. '}', user, 1) == 1 then return 1 end
return 0`

/** App slot. ARGV: P, node, app, user, socket → 1 when the user went offline. */
const REMOVE_USER = 'return remove_user(ARGV[2], ARGV[3], ARGV[4], ARGV[5])'

/** App slot. ARGV: P, node, app → the node's "user\nsocket" signed-in connections of the app (restore compares). */
const NODE_USERS = "return redis.call('SMEMBERS', P .. 'us:{' .. ARGV[3] .. '}:' .. ARGV[2])"

/** App slot. ARGV: P, node, app, max (0 = none) → 1 when counted, 0 when the app is full. */
const ADD_CONNECTION = `
local node, app, max = ARGV[2], ARGV[3], tonumber(ARGV[4])
local key = P .. 'cc:{' .. app .. '}'
if max > 0 and sum(redis.call('HVALS', key)) >= max then return 0 end
redis.call('HINCRBY', key, node, 1)
return 1`

/** App slot. ARGV: P, node, app, count: sets the node's connection count of an app (restore). */
const SET_CONNECTIONS = `
local key = P .. 'cc:{' .. ARGV[3] .. '}'
if tonumber(ARGV[4]) > 0 then redis.call('HSET', key, ARGV[2], ARGV[4]) else redis.call('HDEL', key, ARGV[2]) end
return 0`

/** App slot. ARGV: P, node, app. */
const REMOVE_CONNECTION = `
local key = P .. 'cc:{' .. ARGV[3] .. '}'
if redis.call('HINCRBY', key, ARGV[2], -1) <= 0 then redis.call('HDEL', key, ARGV[2]) end
return 0`

/** App slot. ARGV: P, node, app → { user, ... offline }: removes the node's connections of the app. */
const REAP_APP = `
local node, app = ARGV[2], ARGV[3]
local offline = {}
local usk = P .. 'us:{' .. app .. '}:' .. node
for _, f in ipairs(redis.call('SMEMBERS', usk)) do
  local i = string.find(f, '\\n', 1, true)
  local user = string.sub(f, 1, i - 1)
  if remove_user(node, app, user, string.sub(f, i + 1)) == 1 then offline[#offline + 1] = user end
end
redis.call('DEL', usk)
redis.call('HDEL', P .. 'cc:{' .. app .. '}', node)
return offline`

/**
 * Nodes slot. ARGV: P, node, TTL ms → { 1 when the node was not registered (new, reaped or Redis lost its
 * data), ids of nodes whose records expired }.
 */
const HEARTBEAT = `
local now = now_ms()
local zk = P .. '{nodes}'
local added = redis.call('ZADD', zk, now + tonumber(ARGV[3]), ARGV[2])
if redis.call('SREM', zk .. ':reaping', ARGV[2]) == 1 then added = 1 end
return { added, redis.call('ZRANGEBYSCORE', zk, '-inf', now, 'LIMIT', 0, 20) }`

/**
 * Nodes slot. ARGV: P, node, force ('1' for a node removing itself), lease ms → 1 when the caller is to
 * remove the node's records: it expired (or removes itself) and no other survivor holds a live lease on it.
 * The lease (the node's score pushed forward) lets another survivor finish if this one dies midway.
 */
const CLAIM = `
local zk = P .. '{nodes}'
local score = redis.call('ZSCORE', zk, ARGV[2])
local now = now_ms()
if ARGV[3] ~= '1' and (not score or tonumber(score) > now) then return 0 end
redis.call('ZADD', zk, now + tonumber(ARGV[4]), ARGV[2])
redis.call('SADD', zk .. ':reaping', ARGV[2])
return 1`

/** Nodes slot. ARGV: P, node: the node's records are gone; forgets it unless it came back meanwhile. */
const FORGET = `
local zk = P .. '{nodes}'
if redis.call('SREM', zk .. ':reaping', ARGV[2]) == 1 then redis.call('ZREM', zk, ARGV[2]) end
return 0`

/**
 * KEYS[1]: a token bucket; ARGV: P, tokens per second, count → 1 when `count` tokens were taken, else 0.
 * The bucket holds one second's worth, refills by the Redis clock (one clock for every node), and expires
 * once it would be full again, so an idle rate leaves no key.
 */
const TAKE_TOKENS = `
local rate, count = tonumber(ARGV[2]), tonumber(ARGV[3])
local now = now_ms()
local state = redis.call('HMGET', KEYS[1], 't', 'a')
local tokens = math.min(rate, (tonumber(state[1]) or rate) + math.max(0, now - (tonumber(state[2]) or now)) * rate / 1000)
local taken = 0
if tokens >= count then
  tokens = tokens - count
  taken = 1
end
redis.call('HSET', KEYS[1], 't', string.format('%.6f', tokens), 'a', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], 1000 + math.ceil((rate - tokens) * 1000 / rate))
return taken`

/** A Lua script run by its SHA1; loaded on every (re)connection so calls keep their order. */
export class LuaScript {
  readonly sha: string
  readonly source: string

  constructor (body: string) {
    this.source = PRELUDE + body
    this.sha = createHash('sha1').update(this.source).digest('hex')
  }

  /** Runs with `args` as ARGV (the key prefix first) and `keys` as KEYS: a key of the script's slot first. */
  async run (client: RedisClient, args: ReadonlyArray<string | number>, keys: readonly string[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args)
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return await client.eval(this.source, keys.length, ...keys, ...args)
    }
  }
}

export const SCRIPTS = {
  subscribe: new LuaScript(SUBSCRIBE),
  unsubscribe: new LuaScript(UNSUBSCRIBE),
  count: new LuaScript(COUNT),
  channel: new LuaScript(CHANNEL),
  addMember: new LuaScript(ADD_MEMBER),
  removeMember: new LuaScript(REMOVE_MEMBER),
  nodeMembers: new LuaScript(NODE_MEMBERS),
  reapChannel: new LuaScript(REAP_CHANNEL),
  publishCached: new LuaScript(PUBLISH_CACHED),
  getCache: new LuaScript(GET_CACHE),
  addUser: new LuaScript(ADD_USER),
  removeUser: new LuaScript(REMOVE_USER),
  nodeUsers: new LuaScript(NODE_USERS),
  addConnection: new LuaScript(ADD_CONNECTION),
  setConnections: new LuaScript(SET_CONNECTIONS),
  removeConnection: new LuaScript(REMOVE_CONNECTION),
  reapApp: new LuaScript(REAP_APP),
  heartbeat: new LuaScript(HEARTBEAT),
  claim: new LuaScript(CLAIM),
  forget: new LuaScript(FORGET),
  takeTokens: new LuaScript(TAKE_TOKENS)
} as const

/**
 * Loads every script into the script cache of every primary (after each connection: Redis may have
 * restarted); a script missing later (a restarted shard) is sent in full once by `run`.
 */
export async function loadScripts (client: RedisClient): Promise<void> {
  const servers = client instanceof Cluster ? client.nodes('master') : [client]
  await Promise.all(servers.flatMap((server) =>
    Object.values(SCRIPTS).map(async (script) => await server.script('LOAD', script.source))))
}
