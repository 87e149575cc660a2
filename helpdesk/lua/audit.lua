-- Read-only: checks the live state's invariants in one atomic look. Returns a list of violations.
-- A conversation is in at most one agent's set, its hash agrees with where it is, nobody is over
-- capacity, and everything waiting or assigned is somewhere an agent or the queue will see it.
local problems = {}
local owner_of = {}
for _, aid in ipairs(redis.call('ZRANGE', ROTATION, 0, -1)) do
  local chats = redis.call('SMEMBERS', chats_key(aid))
  local cap = tonumber(redis.call('HGET', agent_key(aid), 'capacity') or '0')
  if #chats > cap then table.insert(problems, 'over_capacity ' .. aid .. ' ' .. #chats .. '>' .. cap) end
  for _, cid in ipairs(chats) do
    if owner_of[cid] then table.insert(problems, 'double_assigned ' .. cid .. ' ' .. owner_of[cid] .. ' ' .. aid) end
    owner_of[cid] = aid
    local c = redis.call('HMGET', conv_key(cid), 'state', 'agent')
    if c[1] ~= 'assigned' or c[2] ~= aid then
      table.insert(problems, 'set_disagrees ' .. cid .. ' in ' .. aid .. ' but ' .. tostring(c[1]) .. '/' .. tostring(c[2]))
    end
    if redis.call('ZSCORE', WAITING, cid) then table.insert(problems, 'assigned_and_waiting ' .. cid) end
  end
end
local cursor = '0'
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', CONV_PATTERN, 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    local c = redis.call('HMGET', key, 'state', 'agent', 'conversation_id')
    if c[1] == 'waiting' and not redis.call('ZSCORE', WAITING, c[3]) then
      table.insert(problems, 'lost_waiting ' .. tostring(c[3]))
    elseif c[1] == 'assigned' and owner_of[c[3]] ~= c[2] then
      table.insert(problems, 'lost_assigned ' .. tostring(c[3]) .. ' ' .. tostring(c[2]))
    end
  end
until cursor == '0'
return problems
