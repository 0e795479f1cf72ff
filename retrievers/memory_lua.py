"""Lua scripts of the Redis Q2E memory store: each runs atomically on the server.

They mirror :mod:`retrievers.memory_sqlite` operation for operation, with the
same floating-point expressions in the same order (Lua numbers are IEEE
doubles and ``^`` is C ``pow``), so both backends store identical values.
Numbers travel as ``%.17g`` strings, which round-trip doubles exactly.

Key layout under the namespace ``P``: ``P q:<key>`` sorted set entity → score;
``P e:<entity>`` hash key → ``predicted|positive|negative|events|updated_at``;
``P t:<token>`` sorted set key → weight (postings); ``P b:<block>`` set of
tokens (vocabulary blocks); ``P ev`` sorted set event id → event time.
The scripts derive key names from the namespace, so they target a single
Redis or Valkey server (not Cluster). Read scripts join members into one
string per sorted set: the client then parses a few items, not thousands.
"""

from __future__ import annotations

from typing import Final

_COMMON: Final = r"""
local P = ARGV[1]
local function fmt(x) return string.format('%.17g', x) end
local function unpack_pair(s)
  local f = {}
  for part in string.gmatch(s .. '|', '([^|]*)|') do f[#f + 1] = part end
  return tonumber(f[1]), tonumber(f[2]), tonumber(f[3]), tonumber(f[4]), tonumber(f[5])
end
local function pack_pair(pred, pos, neg, events, updated)
  local p = ''
  if pred then p = fmt(pred) end
  local u = ''
  if updated then u = fmt(updated) end
  return p .. '|' .. fmt(pos) .. '|' .. fmt(neg) .. '|' .. string.format('%d', events) .. '|' .. u
end
local function smoothed(pred, pos, neg, k, unknown)
  local prior = unknown
  if pred then prior = pred end
  local s = (k * prior + pos) / (k + pos + neg)
  if s < 0 then s = 0 end
  if s > 1 then s = 1 end
  return s
end
"""

REPLACE_PREDICTED: Final = (
    _COMMON
    + r"""
-- ARGV: P, prior_strength, unknown_prior, n_entities, then per entity:
--       entity_id, n, key_1, predicted_1, ..., key_n, predicted_n
local k, unknown = tonumber(ARGV[2]), tonumber(ARGV[3])
local i = 5
local emptied = {}
for _ = 1, tonumber(ARGV[4]) do
  local id, n = ARGV[i], tonumber(ARGV[i + 1])
  i = i + 2
  local h = P .. 'e:' .. id
  local flat = redis.call('HGETALL', h)
  local old = {}
  for j = 1, #flat, 2 do old[flat[j]] = flat[j + 1] end
  local fields, new = {}, {}
  for _ = 1, n do
    local key, pred = ARGV[i], tonumber(ARGV[i + 1])
    i = i + 2
    new[key] = true
    local pos, neg, events, updated = 0, 0, 0, nil
    if old[key] then
      local _
      _, pos, neg, events, updated = unpack_pair(old[key])
    end
    local score = smoothed(pred, pos, neg, k, unknown)
    fields[#fields + 1] = key
    fields[#fields + 1] = pack_pair(pred, pos, neg, events, updated)
    redis.call('ZADD', P .. 'q:' .. key, fmt(score), id)
  end
  for key, packed in pairs(old) do
    if not new[key] then
      local _, pos, neg, events, updated = unpack_pair(packed)
      if events == 0 then
        redis.call('HDEL', h, key)
        redis.call('ZREM', P .. 'q:' .. key, id)
        if redis.call('EXISTS', P .. 'q:' .. key) == 0 then emptied[#emptied + 1] = key end
      else
        fields[#fields + 1] = key
        fields[#fields + 1] = pack_pair(nil, pos, neg, events, updated)
        redis.call('ZADD', P .. 'q:' .. key, fmt(smoothed(nil, pos, neg, k, unknown)), id)
      end
    end
  end
  if #fields > 0 then redis.call('HSET', h, unpack(fields)) end
end
return emptied
"""
)

APPLY: Final = (
    _COMMON
    + r"""
-- ARGV: P, prior_strength, unknown_prior, half_life_s, half_life_events, key, entity_id,
--       positive, negative, at, event_id, then (token, block_1, block_2, block_3)* of the key
local k, unknown = tonumber(ARGV[2]), tonumber(ARGV[3])
local hls, hle = tonumber(ARGV[4]), tonumber(ARGV[5])
local key, id = ARGV[6], ARGV[7]
local dpos, dneg, at, ev = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11]
if ev ~= '' then
  if redis.call('ZSCORE', P .. 'ev', ev) then return {'duplicate', ''} end
  redis.call('ZADD', P .. 'ev', ARGV[10], ev)
end
local h = P .. 'e:' .. id
local packed = redis.call('HGET', h, key)
if not packed and dpos <= 0 then return {'no_pair', ''} end
local pred, pos, neg, events, updated = nil, 0, 0, 0, nil
if packed then pred, pos, neg, events, updated = unpack_pair(packed) end
local elapsed = 0
if updated then elapsed = at - updated end
local f = 1
if hls and elapsed > 0 then f = f * 0.5 ^ (elapsed / hls) end
if hle then f = f * 0.5 ^ (1 / hle) end
pos = pos * f + dpos
neg = neg * f + dneg
if updated == nil or at > updated then updated = at end
events = events + 1
local score = smoothed(pred, pos, neg, k, unknown)
local out = pack_pair(pred, pos, neg, events, updated)
redis.call('HSET', h, key, out)
redis.call('ZADD', P .. 'q:' .. key, fmt(score), id)
if packed then return {'applied', out, fmt(score)} end
for token in string.gmatch(key, '%S+') do
  redis.call('ZADD', P .. 't:' .. token, 'GT', fmt(score), key)
end
for j = 12, #ARGV, 4 do
  for b = 1, 3 do redis.call('SADD', P .. 'b:' .. ARGV[j + b], ARGV[j]) end
end
return {'created', out, fmt(score)}
"""
)

DELETE_ENTITIES: Final = r"""
-- ARGV: P, entity_id...; returns the keys left without any pair
local P = ARGV[1]
local emptied = {}
for j = 2, #ARGV do
  local id = ARGV[j]
  local h = P .. 'e:' .. id
  for _, key in ipairs(redis.call('HKEYS', h)) do
    redis.call('ZREM', P .. 'q:' .. key, id)
    if redis.call('EXISTS', P .. 'q:' .. key) == 0 then emptied[#emptied + 1] = key end
  end
  redis.call('DEL', h)
end
return emptied
"""

DROP_IF_EMPTY: Final = r"""
-- ARGV: P, then per key: key, n, (token, block_1, block_2, block_3)*n
local P = ARGV[1]
local i = 2
while i <= #ARGV do
  local key, n = ARGV[i], tonumber(ARGV[i + 1])
  i = i + 2
  local empty = redis.call('EXISTS', P .. 'q:' .. key) == 0
  for _ = 1, n do
    local token = ARGV[i]
    if empty then
      redis.call('ZREM', P .. 't:' .. token, key)
      if redis.call('EXISTS', P .. 't:' .. token) == 0 then
        for b = 1, 3 do redis.call('SREM', P .. 'b:' .. ARGV[i + b], token) end
      end
    end
    i = i + 4
  end
end
return 0
"""

READ_SORTED: Final = r"""
-- ARGV: P, kind ('q' or 't'), limit, withscores ('1' or '0'), names...
-- Returns one string per name: members (with their scores) joined by newlines,
-- so a reply of thousands of members costs the client a handful of items.
local P, kind, limit, withscores = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1'
local out = {}
for j = 5, #ARGV do
  local name = P .. kind .. ':' .. ARGV[j]
  if withscores then
    out[#out + 1] = table.concat(redis.call('ZREVRANGE', name, 0, limit - 1, 'WITHSCORES'), '\n')
  else
    out[#out + 1] = table.concat(redis.call('ZREVRANGE', name, 0, limit - 1), '\n')
  end
end
return out
"""

READ_VOCABULARY: Final = r"""
-- ARGV: P, blocks...; the union of the blocks' tokens, joined by newlines
local names = {}
for j = 2, #ARGV do names[#names + 1] = ARGV[1] .. 'b:' .. ARGV[j] end
return table.concat(redis.call('SUNION', unpack(names)), '\n')
"""
