/**
 * The Redis adapter's Lua scripts: every decision (occupied/vacated, member added/removed, user
 * online/offline, connection quota, a dead node's removal) is one script, so it is atomic cluster-wide.
 *
 * Keys, all under the cluster's key prefix P (apps ids never contain ':'; `\n` separates parts of a field):
 *   P nodes               ZSET   node id → time (ms, Redis clock) its records expire unless refreshed
 *   P n:{node}:ch         SET    "app\nchannel" the node serves          (the node's own records, removed
 *   P n:{node}:pm         HASH   "app\nchannel\nsocket" → user id          by whoever reaps the node)
 *   P n:{node}:us         SET    "app\nuser\nsocket" signed-in connections
 *   P n:{node}:cc         SET    apps the node counts connections of
 *   P c:{app}:{channel}   HASH   node → local subscriber count (the nodes serving the channel)
 *   P a:{app}             SET    occupied channels of the app
 *   P p:{app}:{channel}   HASH   socket → user id            P pu:… HASH user id → its connections there
 *   P pi:{app}:{channel}  HASH   user id → user_info JSON    P q:…  per-channel sequence number (see seq_next)
 *   P k:{app}:{channel}   STRING the cached event (a message as published, with its seq), with a TTL
 *   P u:{app}             HASH   user id → signed-in connections, cluster-wide
 *   P cc:{app}            HASH   node → connections of the app
 *   P r:{app}:{bucket}    HASH   a rate's token bucket: t tokens, a ms they were counted (expires when full)
 * Pub/sub: P m:{app}:{channel} carries a channel's messages; P all carries terminate and watchlist notices.
 * Scripts build key names from P (passed as ARGV[1]), so the adapter needs a single Redis (or a Sentinel
 * group), not Redis Cluster.
 */
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'

const PRELUDE = `
local P = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
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
local function split(s)
  local out = {}
  for part in string.gmatch(s, '[^\\n]+') do out[#out + 1] = part end
  return out
end
local function unsubscribe(node, app, ch)
  local key = P .. 'c:' .. app .. ':' .. ch
  redis.call('SREM', P .. 'n:' .. node .. ':ch', app .. '\\n' .. ch)
  if redis.call('HDEL', key, node) == 1 and redis.call('HLEN', key) == 0 then
    redis.call('SREM', P .. 'a:' .. app, ch)
    return 1
  end
  return 0
end
local function remove_member(node, app, ch, sock)
  local pk = P .. 'p:' .. app .. ':' .. ch
  local user = redis.call('HGET', pk, sock)
  if not user then return nil end
  redis.call('HDEL', pk, sock)
  redis.call('HDEL', P .. 'n:' .. node .. ':pm', app .. '\\n' .. ch .. '\\n' .. sock)
  local puk = P .. 'pu:' .. app .. ':' .. ch
  if redis.call('HINCRBY', puk, user, -1) > 0 then return nil end
  redis.call('HDEL', puk, user)
  redis.call('HDEL', P .. 'pi:' .. app .. ':' .. ch, user)
  return { user, seq_next(P .. 'q:' .. app .. ':' .. ch) }
end
local function remove_user(node, app, user, sock)
  if redis.call('SREM', P .. 'n:' .. node .. ':us', app .. '\\n' .. user .. '\\n' .. sock) == 0 then return 0 end
  local key = P .. 'u:' .. app
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

/** ARGV: P, node, app, channel, local count → 1 when the channel became occupied. */
const SUBSCRIBE = `
local node, app, ch = ARGV[2], ARGV[3], ARGV[4]
local key = P .. 'c:' .. app .. ':' .. ch
local had = redis.call('HLEN', key)
redis.call('HSET', key, node, ARGV[5])
redis.call('SADD', P .. 'n:' .. node .. ':ch', app .. '\\n' .. ch)
if had == 0 then
  redis.call('SADD', P .. 'a:' .. app, ch)
  return 1
end
return 0`

/** ARGV: P, node, app, channel → 1 when the channel became vacated. */
const UNSUBSCRIBE = 'return unsubscribe(ARGV[2], ARGV[3], ARGV[4])'

/** ARGV: P, node, app, channel, count: the node's subscriber count, kept only while it serves the channel. */
const COUNT = `
local key = P .. 'c:' .. ARGV[3] .. ':' .. ARGV[4]
if redis.call('HEXISTS', key, ARGV[2]) == 1 then redis.call('HSET', key, ARGV[2], ARGV[5]) end
return 0`

/** ARGV: P, app, channel → { subscription count, user count }. */
const CHANNEL = `
local app, ch = ARGV[2], ARGV[3]
return { sum(redis.call('HVALS', P .. 'c:' .. app .. ':' .. ch)), redis.call('HLEN', P .. 'pu:' .. app .. ':' .. ch) }`

/** ARGV: P, app, prefix → flat { channel, subscription count, user count, ... }. */
const CHANNELS = `
local app, prefix = ARGV[2], ARGV[3]
local out = {}
for _, ch in ipairs(redis.call('SMEMBERS', P .. 'a:' .. app)) do
  if string.sub(ch, 1, #prefix) == prefix then
    out[#out + 1] = ch
    out[#out + 1] = sum(redis.call('HVALS', P .. 'c:' .. app .. ':' .. ch))
    out[#out + 1] = redis.call('HLEN', P .. 'pu:' .. app .. ':' .. ch)
  end
end
return out`

/**
 * ARGV: P, node, app, channel, socket, user, info JSON, max members →
 * { -1 } when full, else { 1 first | 0 not, seq, user, info, user, info, ... }.
 */
const ADD_MEMBER = `
local node, app, ch, sock, user = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local pk, puk = P .. 'p:' .. app .. ':' .. ch, P .. 'pu:' .. app .. ':' .. ch
local pik, qk = P .. 'pi:' .. app .. ':' .. ch, P .. 'q:' .. app .. ':' .. ch
local status = 0
if redis.call('HEXISTS', pk, sock) == 0 then
  if redis.call('HEXISTS', puk, user) == 0 then
    if redis.call('HLEN', puk) >= tonumber(ARGV[8]) then return { -1 } end
    redis.call('HSET', pik, user, ARGV[7])
    status = 1
  end
  redis.call('HINCRBY', puk, user, 1)
  redis.call('HSET', pk, sock, user)
  redis.call('HSET', P .. 'n:' .. node .. ':pm', app .. '\\n' .. ch .. '\\n' .. sock, user)
end
local seq
if status == 1 then seq = seq_next(qk) else seq = seq_now(qk) end
local out = { status, seq }
for _, v in ipairs(redis.call('HGETALL', pik)) do out[#out + 1] = v end
return out`

/** ARGV: P, node, app, channel, socket → { user, seq } when it was the user's last connection, else nil. */
const REMOVE_MEMBER = 'return remove_member(ARGV[2], ARGV[3], ARGV[4], ARGV[5])'

/** ARGV: P, app, channel, pub/sub channel, message JSON without its closing brace, TTL ms → seq. */
const PUBLISH_CACHED = `
local app, ch = ARGV[2], ARGV[3]
local seq = seq_next(P .. 'q:' .. app .. ':' .. ch)
local message = ARGV[5] .. ',"seq":' .. string.format('%.0f', seq) .. '}'
local key = P .. 'k:' .. app .. ':' .. ch
if tonumber(ARGV[6]) > 0 then redis.call('SET', key, message, 'PX', ARGV[6]) else redis.call('DEL', key) end
redis.call('PUBLISH', ARGV[4], message)
return seq`

/** ARGV: P, app, channel → { message, ms left } or nil. */
const GET_CACHE = `
local key = P .. 'k:' .. ARGV[2] .. ':' .. ARGV[3]
local message = redis.call('GET', key)
if not message then return nil end
return { message, redis.call('PTTL', key) }`

/** ARGV: P, node, app, user, socket → 1 when the user came online. */
const ADD_USER = `
local node, app, user = ARGV[2], ARGV[3], ARGV[4]
if redis.call('SADD', P .. 'n:' .. node .. ':us', app .. '\\n' .. user .. '\\n' .. ARGV[5]) == 0 then return 0 end
if redis.call('HINCRBY', P .. 'u:' .. app, user, 1) == 1 then return 1 end
return 0`

/** ARGV: P, node, app, user, socket → 1 when the user went offline. */
const REMOVE_USER = 'return remove_user(ARGV[2], ARGV[3], ARGV[4], ARGV[5])'

/** ARGV: P, node, app, max (0 = none) → 1 when counted, 0 when the app is full. */
const ADD_CONNECTION = `
local node, app, max = ARGV[2], ARGV[3], tonumber(ARGV[4])
local key = P .. 'cc:' .. app
if max > 0 and sum(redis.call('HVALS', key)) >= max then return 0 end
redis.call('HINCRBY', key, node, 1)
redis.call('SADD', P .. 'n:' .. node .. ':cc', app)
return 1`

/** ARGV: P, node, app, count: sets the node's connection count of an app (restore). */
const SET_CONNECTIONS = `
local key = P .. 'cc:' .. ARGV[3]
if tonumber(ARGV[4]) > 0 then
  redis.call('HSET', key, ARGV[2], ARGV[4])
  redis.call('SADD', P .. 'n:' .. ARGV[2] .. ':cc', ARGV[3])
else
  redis.call('HDEL', key, ARGV[2])
end
return 0`

/** ARGV: P, node, app. */
const REMOVE_CONNECTION = `
local key = P .. 'cc:' .. ARGV[3]
if redis.call('HINCRBY', key, ARGV[2], -1) <= 0 then redis.call('HDEL', key, ARGV[2]) end
return 0`

/**
 * ARGV: P, node, TTL ms → { 1 when the node was not registered (new, reaped or Redis lost its data),
 * ids of nodes whose records expired }.
 */
const HEARTBEAT = `
local now = now_ms()
local added = redis.call('ZADD', P .. 'nodes', now + tonumber(ARGV[3]), ARGV[2])
return { added, redis.call('ZRANGEBYSCORE', P .. 'nodes', '-inf', now, 'LIMIT', 0, 20) }`

/**
 * ARGV: P, node, force ('1' for a node removing itself) → what removing the node's records decided:
 * { { app, channel, ... vacated }, { app, channel, user, seq, ... removed }, { app, user, ... offline } },
 * or nil when the node is alive again or another node removed it first.
 */
const REAP = `
local node = ARGV[2]
local score = redis.call('ZSCORE', P .. 'nodes', node)
if ARGV[3] ~= '1' and (not score or tonumber(score) > now_ms()) then return nil end
redis.call('ZREM', P .. 'nodes', node)
local vacated, removed, offline = {}, {}, {}
local base = P .. 'n:' .. node
for _, f in ipairs(redis.call('SMEMBERS', base .. ':ch')) do
  local p = split(f)
  if unsubscribe(node, p[1], p[2]) == 1 then vacated[#vacated + 1] = p[1]; vacated[#vacated + 1] = p[2] end
end
for _, f in ipairs(redis.call('HKEYS', base .. ':pm')) do
  local p = split(f)
  local r = remove_member(node, p[1], p[2], p[3])
  if r then
    removed[#removed + 1] = p[1]; removed[#removed + 1] = p[2]; removed[#removed + 1] = r[1]; removed[#removed + 1] = r[2]
  end
end
for _, f in ipairs(redis.call('SMEMBERS', base .. ':us')) do
  local p = split(f)
  if remove_user(node, p[1], p[2], p[3]) == 1 then offline[#offline + 1] = p[1]; offline[#offline + 1] = p[2] end
end
for _, app in ipairs(redis.call('SMEMBERS', base .. ':cc')) do redis.call('HDEL', P .. 'cc:' .. app, node) end
redis.call('DEL', base .. ':ch', base .. ':pm', base .. ':us', base .. ':cc')
return { vacated, removed, offline }`

/** ARGV: P, node → { channels, presence fields, user fields } the node owns in Redis (restore compares). */
const OWNED = `
local base = P .. 'n:' .. ARGV[2]
return { redis.call('SMEMBERS', base .. ':ch'), redis.call('HKEYS', base .. ':pm'), redis.call('SMEMBERS', base .. ':us') }`

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

  /** Runs with `args` as ARGV (the key prefix first) and `keys` as KEYS, for scripts that name their keys. */
  async run (client: Redis, args: ReadonlyArray<string | number>, keys: readonly string[] = []): Promise<unknown> {
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
  channels: new LuaScript(CHANNELS),
  addMember: new LuaScript(ADD_MEMBER),
  removeMember: new LuaScript(REMOVE_MEMBER),
  publishCached: new LuaScript(PUBLISH_CACHED),
  getCache: new LuaScript(GET_CACHE),
  addUser: new LuaScript(ADD_USER),
  removeUser: new LuaScript(REMOVE_USER),
  addConnection: new LuaScript(ADD_CONNECTION),
  setConnections: new LuaScript(SET_CONNECTIONS),
  removeConnection: new LuaScript(REMOVE_CONNECTION),
  heartbeat: new LuaScript(HEARTBEAT),
  reap: new LuaScript(REAP),
  owned: new LuaScript(OWNED),
  takeTokens: new LuaScript(TAKE_TOKENS)
} as const

/** Loads every script into the server's script cache (after each connection: Redis may have restarted). */
export async function loadScripts (client: Redis): Promise<void> {
  await Promise.all(Object.values(SCRIPTS).map(async (script) => await client.script('LOAD', script.source)))
}
