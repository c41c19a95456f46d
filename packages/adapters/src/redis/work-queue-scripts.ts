import { LuaScript } from './lua-script.ts';

/**
 * The work queue's Lua scripts. Every script gets the same five keys, all with the queue's
 * `{name}` hash tag (one Cluster slot):
 * KEYS[1] the stream (entries ready or delivered and not yet acked),
 * KEYS[2] the delayed set (score: epoch ms due, server clock; member: JSON [id, enqueuedAt, priorDeliveries, payload]),
 * KEYS[3] the dead-letter list (JSON objects, oldest first),
 * KEYS[4] extended deadlines (stream id -> epoch ms) of deliveries extended beyond the visibility timeout,
 * KEYS[5] handovers (stream id -> "D:L"): D deliveries of the stream entry reached a receiver, the
 *   last one under the group's delivery counter L.
 *
 * A stream entry's fields: `id` (the WorkItem id, kept across redeliveries), `payload` (JSON),
 * `enqueuedAt`, `priorDeliveries` (deliveries before this stream entry, which a nack re-adds as a
 * new entry). A reservation (an XREADGROUP read ahead, or a claim) is identified by (consumer,
 * the entry's delivery counter in the group's pending list): `held` checks both, so a reservation
 * whose entry was claimed again, even by the same consumer, is over.
 *
 * Reading counts nothing: a reservation becomes a delivery (D + 1) only when `handoverScript`
 * hands it to a receiver, once per reservation. So entries read ahead by a consumer that then
 * crashed, or given back untried, are claimed or re-added without using up `maxDeliveries`; an
 * expired reservation is dead-lettered only when it was handed over and was the last allowed.
 */
const prelude = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function fields_of(sid)
  local r = redis.call('XRANGE', KEYS[1], sid, sid)
  if #r == 0 then return nil end
  local f = {}
  local a = r[1][2]
  for i = 1, #a, 2 do f[a[i]] = a[i + 1] end
  return f
end
local function held(group, consumer, sid, count)
  local p = redis.call('XPENDING', KEYS[1], group, sid, sid, 1)
  if #p == 0 then return false end
  return p[1][2] == consumer and tonumber(p[1][4]) == tonumber(count)
end
local function finish(group, sid)
  redis.call('XACK', KEYS[1], group, sid)
  redis.call('XDEL', KEYS[1], sid)
  redis.call('HDEL', KEYS[4], sid)
  redis.call('HDEL', KEYS[5], sid)
end
local function handed_of(sid)
  local v = redis.call('HGET', KEYS[5], sid)
  if not v then return 0, -1 end
  local d, l = string.match(v, '^(%d+):(%d+)$')
  return tonumber(d), tonumber(l)
end
local function bury(f, deliveries, reason, now, cap)
  redis.call('RPUSH', KEYS[3], cjson.encode({
    id = f.id, payload = f.payload, deliveryCount = deliveries,
    enqueuedAt = tonumber(f.enqueuedAt), deadAt = now, reason = reason }))
  redis.call('LTRIM', KEYS[3], -tonumber(cap), -1)
end
`;

/** ARGV: group, consumer, stream id, delivery counter. Returns 1 when acked, 0 when the delivery is over. */
export const ackScript: LuaScript = new LuaScript(`${prelude}
if not held(ARGV[1], ARGV[2], ARGV[3], ARGV[4]) then return 0 end
finish(ARGV[1], ARGV[3])
return 1
`);

/**
 * ARGV: group, consumer, then pairs of (stream id, delivery counter): the acks of one tick in one
 * call. Returns, per pair, 1 when acked, 0 when the delivery is over.
 */
export const ackManyScript: LuaScript = new LuaScript(`${prelude}
local group, consumer = ARGV[1], ARGV[2]
local out = {}
for i = 3, #ARGV, 2 do
  if held(group, consumer, ARGV[i], ARGV[i + 1]) then
    finish(group, ARGV[i])
    table.insert(out, 1)
  else
    table.insert(out, 0)
  end
end
return out
`);

/**
 * ARGV: group, consumer, stream id, delivery counter, delay ms, maxDeliveries, reason, maxDeadLetters.
 * Returns 0 when the delivery is over, 1 when scheduled again, 2 when dead-lettered.
 */
export const nackScript: LuaScript = new LuaScript(`${prelude}
local group, sid = ARGV[1], ARGV[3]
if not held(group, ARGV[2], sid, ARGV[4]) then return 0 end
local f = fields_of(sid)
if not f then
  finish(group, sid)
  return 0
end
local d = handed_of(sid)
local deliveries = tonumber(f.priorDeliveries) + d
local now = now_ms()
local result = 1
if deliveries >= tonumber(ARGV[6]) then
  bury(f, deliveries, ARGV[7], now, ARGV[8])
  result = 2
elseif tonumber(ARGV[5]) <= 0 then
  redis.call('XADD', KEYS[1], '*', 'id', f.id, 'payload', f.payload, 'enqueuedAt', f.enqueuedAt, 'priorDeliveries', tostring(deliveries))
else
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), cjson.encode({f.id, f.enqueuedAt, tostring(deliveries), f.payload}))
end
finish(group, sid)
return result
`);

/**
 * ARGV: group, consumer, stream id, delivery counter, ms, visibility timeout ms. Returns 1 when
 * extended, 0 when the delivery is over. Up to the visibility timeout, the entry's idle time is
 * set so that it becomes claimable exactly `ms` from now; beyond it, a deadline is kept in KEYS[4]
 * (the idle time cannot be set in the future).
 */
export const extendScript: LuaScript = new LuaScript(`${prelude}
local group, consumer, sid = ARGV[1], ARGV[2], ARGV[3]
if not held(group, consumer, sid, ARGV[4]) then return 0 end
local ms, visibility = tonumber(ARGV[5]), tonumber(ARGV[6])
if ms <= visibility then
  redis.call('XCLAIM', KEYS[1], group, consumer, 0, sid, 'IDLE', visibility - ms, 'JUSTID')
  redis.call('HDEL', KEYS[4], sid)
else
  redis.call('XCLAIM', KEYS[1], group, consumer, 0, sid, 'IDLE', 0, 'JUSTID')
  redis.call('HSET', KEYS[4], sid, now_ms() + ms)
end
return 1
`);

/** ARGV: delay ms, member. Adds a delayed entry due `delay` ms from now on the server's clock. */
export const enqueueDelayedScript: LuaScript = new LuaScript(`${prelude}
redis.call('ZADD', KEYS[2], now_ms() + tonumber(ARGV[1]), ARGV[2])
return 1
`);

/**
 * ARGV: group, consumer, claim (1 or 0), visibility ms, maxDeliveries, claim limit, scan limit, maxDeadLetters.
 * Moves due delayed entries into the stream; when asked, claims for `consumer` at most `claim
 * limit` entries whose reservation expired (a consumer died or hung), dead-lettering those whose
 * expired reservation was handed over as their last allowed delivery. The pending list is paged
 * through (at most `scan limit` entries a call), and an entry extended beyond the visibility
 * timeout has its idle time reset when the scan meets it, so that entries extended for long never
 * hide expired ones behind them.
 * Returns { claimed: [[stream id, id, payload, enqueuedAt, priorDeliveries, delivery counter, deliveries handed over so far]], ms until the next delayed entry is due or -1 }.
 */
export const maintainScript: LuaScript = new LuaScript(`${prelude}
local group, consumer = ARGV[1], ARGV[2]
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)
for _, m in ipairs(due) do
  local e = cjson.decode(m)
  redis.call('XADD', KEYS[1], '*', 'id', e[1], 'payload', e[4], 'enqueuedAt', e[2], 'priorDeliveries', e[3])
  redis.call('ZREM', KEYS[2], m)
end
local claimed = {}
if ARGV[3] == '1' then
  local visibility, max = tonumber(ARGV[4]), tonumber(ARGV[5])
  local limit, budget = tonumber(ARGV[6]), tonumber(ARGV[7])
  local start = '-'
  while #claimed < limit and budget > 0 do
    local page = redis.call('XPENDING', KEYS[1], group, 'IDLE', visibility, start, '+', math.min(100, budget))
    if #page == 0 then break end
    budget = budget - #page
    for _, p in ipairs(page) do
      if #claimed >= limit then break end
      local sid, owner, count = p[1], p[2], tonumber(p[4])
      local deadline = tonumber(redis.call('HGET', KEYS[4], sid) or '0')
      if deadline > now then
        -- Extended beyond the visibility timeout and not due: out of the scan until the deadline is near.
        local left = deadline - now
        if left < visibility then
          redis.call('XCLAIM', KEYS[1], group, owner, 0, sid, 'IDLE', visibility - left, 'JUSTID')
          redis.call('HDEL', KEYS[4], sid)
        else
          redis.call('XCLAIM', KEYS[1], group, owner, 0, sid, 'IDLE', 0, 'JUSTID')
        end
      else
        local f = fields_of(sid)
        if not f then
          finish(group, sid)
        else
          local d, l = handed_of(sid)
          local deliveries = tonumber(f.priorDeliveries) + d
          if l == count and deliveries >= max then
            bury(f, deliveries, 'visibility timeout expired on delivery ' .. deliveries .. ' of at most ' .. max, now, ARGV[8])
            finish(group, sid)
          else
            redis.call('XCLAIM', KEYS[1], group, consumer, 0, sid, 'RETRYCOUNT', count + 1, 'JUSTID')
            redis.call('HDEL', KEYS[4], sid)
            table.insert(claimed, {sid, f.id, f.payload, f.enqueuedAt, f.priorDeliveries, count + 1, d})
          end
        end
      end
    end
    start = '(' .. page[#page][1]
  end
end
local nxt = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local wait = -1
if #nxt > 0 then wait = math.max(0, tonumber(nxt[2]) - now) end
return {claimed, wait}
`);

/**
 * ARGV: group, consumer, then pairs of (stream id, delivery counter). Records that reservations
 * reached receivers: counts the delivery once per reservation (idempotent: a retried call does
 * not count it twice) and starts a full visibility timeout.
 * Returns, per pair, the deliveries of the stream entry so far (D), or 0 when the reservation is over.
 */
export const handoverScript: LuaScript = new LuaScript(`${prelude}
local group, consumer = ARGV[1], ARGV[2]
local out = {}
for i = 3, #ARGV, 2 do
  local sid, c = ARGV[i], tonumber(ARGV[i + 1])
  if held(group, consumer, sid, c) then
    local d, l = handed_of(sid)
    if l ~= c then
      d = d + 1
      redis.call('HSET', KEYS[5], sid, d .. ':' .. c)
    end
    redis.call('XCLAIM', KEYS[1], group, consumer, 0, sid, 'IDLE', 0, 'JUSTID')
    redis.call('HDEL', KEYS[4], sid)
    table.insert(out, d)
  else
    table.insert(out, 0)
  end
end
return out
`);

/** ARGV: group. Returns [waiting, in flight, dead]. */
export const countsScript: LuaScript = new LuaScript(`
local pending = 0
local s = redis.pcall('XPENDING', KEYS[1], ARGV[1])
if type(s) == 'table' and s.err == nil then pending = tonumber(s[1]) end
local waiting = redis.call('XLEN', KEYS[1]) - pending + redis.call('ZCARD', KEYS[2])
return {waiting, pending, redis.call('LLEN', KEYS[3])}
`);

/**
 * ARGV: group, consumer, remove consumer (1 or 0), then pairs of (stream id, delivery counter).
 * Gives reservations back to the queue untried: re-added at the end of the stream, with the
 * delivery of a reservation that was handed over (and then released, or returned after an aborted
 * receive) not counted. With ARGV[3] = '1', then removes the consumer from the group when nothing
 * is pending for it any more (the handle is closing). Returns how many were given back.
 */
export const releaseScript: LuaScript = new LuaScript(`${prelude}
local group, consumer = ARGV[1], ARGV[2]
local released = 0
for i = 4, #ARGV, 2 do
  local sid, c = ARGV[i], tonumber(ARGV[i + 1])
  if held(group, consumer, sid, c) then
    local f = fields_of(sid)
    if f then
      local d, l = handed_of(sid)
      if l == c then d = d - 1 end
      redis.call('XADD', KEYS[1], '*', 'id', f.id, 'payload', f.payload, 'enqueuedAt', f.enqueuedAt,
        'priorDeliveries', tostring(tonumber(f.priorDeliveries) + d))
      released = released + 1
    end
    finish(group, sid)
  end
end
if ARGV[3] == '1' then
  local s = redis.pcall('XPENDING', KEYS[1], group, '-', '+', 1, consumer)
  if type(s) == 'table' and s.err == nil and #s == 0 then
    redis.pcall('XGROUP', 'DELCONSUMER', KEYS[1], group, consumer)
  end
end
return released
`);

/**
 * ARGV: 'all' or 'ids', then the ids. Moves dead letters back into the stream, ready at once and
 * with no prior deliveries, oldest first; keeps the others in order. Returns how many moved.
 */
export const requeueDeadScript: LuaScript = new LuaScript(`
local all = ARGV[1] == 'all'
local wanted = {}
for i = 2, #ARGV do wanted[ARGV[i]] = true end
local letters = redis.call('LRANGE', KEYS[3], 0, -1)
local kept = {}
local moved = 0
for _, text in ipairs(letters) do
  local d = cjson.decode(text)
  if all or wanted[d.id] then
    redis.call('XADD', KEYS[1], '*', 'id', d.id, 'payload', d.payload, 'enqueuedAt', string.format('%.0f', d.enqueuedAt), 'priorDeliveries', '0')
    moved = moved + 1
  else
    table.insert(kept, text)
  end
end
if moved > 0 then
  redis.call('DEL', KEYS[3])
  for i = 1, #kept, 1000 do
    redis.call('RPUSH', KEYS[3], unpack(kept, i, math.min(i + 999, #kept)))
  end
end
return moved
`);

/**
 * ARGV: group, this handle's consumer, idle ms. Growth control, run now and then by every handle:
 * removes from the group the consumers (other than this one) with nothing pending that have not
 * read for `idle ms` (crashed processes leave them behind forever), and trims the stream below
 * the oldest entry any group still needs (its oldest pending entry, or the last one it read), so
 * entries acked without being deleted cannot pile up. Returns [consumers removed, entries trimmed].
 */
export const sweepScript: LuaScript = new LuaScript(`
local group, self, idle = ARGV[1], ARGV[2], tonumber(ARGV[3])
local function record(flat)
  local r = {}
  for i = 1, #flat, 2 do r[flat[i]] = flat[i + 1] end
  return r
end
local removed = 0
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], group)
if not ok then return {0, 0} end
for _, flat in ipairs(consumers) do
  local c = record(flat)
  if c.name ~= self and tonumber(c.pending) == 0 and tonumber(c.idle) >= idle then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], group, c.name)
    removed = removed + 1
  end
end
local minid = nil
local function older(a, b)
  if b == nil then return a end
  local a1, a2 = string.match(a, '^(%d+)-(%d+)$')
  local b1, b2 = string.match(b, '^(%d+)-(%d+)$')
  a1, a2, b1, b2 = tonumber(a1), tonumber(a2), tonumber(b1), tonumber(b2)
  if a1 < b1 or (a1 == b1 and a2 < b2) then return a end
  return b
end
for _, flat in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local g = record(flat)
  -- The entry after the last one read: MINID keeps entries at or above it.
  local ms, seq = string.match(g['last-delivered-id'], '^(%d+)-(%d+)$')
  local need = ms .. '-' .. string.format('%.0f', tonumber(seq) + 1)
  if tonumber(g.pending) > 0 then
    local summary = redis.call('XPENDING', KEYS[1], g.name)
    need = summary[2]
  end
  minid = older(need, minid)
end
local trimmed = 0
if minid ~= nil and minid ~= '0-0' then trimmed = redis.call('XTRIM', KEYS[1], 'MINID', minid) end
return {removed, trimmed}
`);

/** Deletes the dead-letter list. Returns how many letters it held. */
export const purgeDeadScript: LuaScript = new LuaScript(`
local n = redis.call('LLEN', KEYS[3])
redis.call('DEL', KEYS[3])
return n
`);

/**
 * ARGV: delay ms, enqueuedAt, then pairs of (id, payload JSON). Adds every entry, atomically and
 * in order: to the stream when the delay is 0, else to the delayed set, due `delay` ms from now
 * on the server's clock. Returns how many were added.
 */
export const enqueueManyScript: LuaScript = new LuaScript(`${prelude}
local delay, at = tonumber(ARGV[1]), ARGV[2]
local due = 0
if delay > 0 then due = now_ms() + delay end
for i = 3, #ARGV, 2 do
  if delay > 0 then
    redis.call('ZADD', KEYS[2], due, cjson.encode({ARGV[i], at, '0', ARGV[i + 1]}))
  else
    redis.call('XADD', KEYS[1], '*', 'id', ARGV[i], 'payload', ARGV[i + 1], 'enqueuedAt', at, 'priorDeliveries', '0')
  end
end
return (#ARGV - 2) / 2
`);
