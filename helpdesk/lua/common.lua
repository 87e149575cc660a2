-- Prepended to every script, after the key names (helpdesk/keys.py: lua_names) and the queue's
-- constants (helpdesk/scripts.py): the clock, events, timers and the choice of agent.
-- ARGV[1] now (Unix s), ARGV[2] remind_after_s, ARGV[3] reassign_after_s, ARGV[4] assignment mode;
-- each script's own arguments start at ARGV[5]. Every key shares the {kefu} hash tag (one cluster slot).
local NOW = tonumber(ARGV[1])
local REMIND = tonumber(ARGV[2])
local REASSIGN = tonumber(ARGV[3])
local MODE = ARGV[4]
local DISPATCH_LIMIT = 50

local function blank(v) return v == false or v == nil or v == '' end

-- Every transition leaves an event in the stream; the helpdesk copies the stream into SQL.
-- hid: the handoff id if the caller has it at hand (saves a read).
local function emit(kind, cid, agent, detail, hid)
  if hid == nil then
    hid = ''
    if cid ~= '' then hid = redis.call('HGET', conv_key(cid), 'handoff_id') or '' end
  end
  local id = redis.call('XADD', EVENTS, '*', 'kind', kind, 'conversation_id', cid, 'handoff_id', hid,
    'agent', agent or '', 'at', ARGV[1], 'detail', cjson.encode(detail or {}))
  redis.call('PUBLISH', LIVE, cjson.encode({kind = kind, conversation_id = cid, agent = agent or ''}))
  -- counted for /metrics (helpdesk/metrics.py); a transfer to a group gives the chat to nobody yet
  local counted = kind
  if kind == 'transferred' and blank(agent) then counted = 'transferred_to_group' end
  redis.call('HINCRBY', EVENT_COUNTS, counted, 1)
  return id
end

local function in_list(csv, item)
  if blank(csv) then return false end
  local padded = ',' .. csv .. ','
  return string.find(padded, ',*,', 1, true) ~= nil or string.find(padded, ',' .. item .. ',', 1, true) ~= nil
end

local function less(a, b)
  for i = 1, #a do
    if a[i] ~= b[i] then return a[i] < b[i] end
  end
  return false
end

local function arm(kind, cid, at) redis.call('ZADD', TIMERS, at, kind .. '|' .. cid) end
local function disarm(cid) redis.call('ZREM', TIMERS, 'remind|' .. cid, 'reassign|' .. cid) end

local function position(cid)
  local rank = redis.call('ZRANK', WAITING, cid)
  if rank then return rank + 1 end
  return 0
end

-- The agent to take conversation cid, or nil. Only online agents with room, and only the
-- conversation's group if it has one; never its `exclude` agent (the one it is moving away from).
-- round_robin: the one assigned least recently. smart: ranked as described in shop.yml.
local function pick(cid)
  local c = redis.call('HMGET', conv_key(cid), 'language', 'category', 'vip', 'group', 'exclude')
  local lang, cat, group, exclude = c[1] or '', c[2] or '', c[4] or '', c[5] or ''
  local wants_senior = c[3] == '1' or cat == 'complaint'
  local best, best_rank = nil, nil
  for i, aid in ipairs(redis.call('ZRANGE', ROTATION, 0, -1)) do
    if aid ~= exclude then
      local a = redis.call('HMGET', agent_key(aid), 'status', 'capacity', 'languages', 'categories', 'groups', 'tier')
      if a[1] == 'online' and (group == '' or in_list(a[5], group)) then
        local load = redis.call('SCARD', chats_key(aid))
        if load < (tonumber(a[2]) or 0) then
          if MODE ~= 'smart' then return aid end
          local rank = {in_list(a[3], lang) and 0 or 1, (wants_senior and a[6] ~= 'senior') and 1 or 0,
            load, in_list(a[4], cat) and 0 or 1, i}
          if best_rank == nil or less(rank, best_rank) then best, best_rank = aid, rank end
        end
      end
    end
  end
  return best
end

-- Make aid the owner of cid: from the waiting list (prev '') or from agent prev.
local function take(cid, aid, prev)
  local conv = conv_key(cid)
  if prev == '' then
    redis.call('ZREM', WAITING, cid)
  else
    redis.call('SREM', chats_key(prev), cid)
    redis.call('ZREM', TIMERS, 'reassign|' .. cid)
  end
  redis.call('SADD', chats_key(aid), cid)
  -- the buyer is owed an answer from the moment an agent takes over
  redis.call('HSET', conv, 'state', 'assigned', 'agent', aid, 'assigned_at', ARGV[1], 'group', '',
    'exclude', '', 'unreplied_since', ARGV[1], 'reminded_at', '')
  redis.call('ZADD', ROTATION, redis.call('INCR', ROTATION_SEQ), aid)
  arm('remind', cid, NOW + REMIND)
end

-- Put cid back on the waiting list (ahead of new requests if `front`).
local function release(cid, front)
  local conv = conv_key(cid)
  local c = redis.call('HMGET', conv, 'agent', 'score', 'front')
  if not blank(c[1]) then redis.call('SREM', chats_key(c[1]), cid) end
  local score = tonumber(c[2])
  if front and c[3] ~= '1' then
    score = score - FRONT
    redis.call('HSET', conv, 'score', score, 'front', '1')
  end
  redis.call('HSET', conv, 'state', 'waiting', 'agent', '', 'unreplied_since', '', 'reminded_at', '')
  redis.call('ZADD', WAITING, score, cid)
  disarm(cid)
end

-- Assign waiting conversations, first in line first, while agents have room.
local function dispatch()
  local done = {}
  if MODE == 'manual' then return done end
  for _, cid in ipairs(redis.call('ZRANGE', WAITING, 0, DISPATCH_LIMIT - 1)) do
    local aid = pick(cid)
    if aid then
      take(cid, aid, '')
      emit('assigned', cid, aid)
      table.insert(done, cid)
    else
      local c = redis.call('HMGET', conv_key(cid), 'group', 'exclude')
      if blank(c[1]) and blank(c[2]) then
        break -- nobody has room for an unrestricted chat, so nobody has room for the ones behind it
      end
    end
  end
  return done
end

