-- Read only: what the live alert rules look at (helpdesk/alert_rules.py), in one atomic look.
-- Returns {waiting, online, oldest_created_at, oldest_conversation, agent, count, name, agent, count, name, ...}:
-- the chats waiting; the agents online; the oldest waiting or assigned chat that has had no human reply
-- yet ('' '' if none); and every agent holding chats that were reminded and are still unanswered.
local oldest, oldest_raw, oldest_cid = nil, '', ''
local function unanswered(cid, created, first_reply)
  local t = tonumber(created)
  if blank(first_reply) and t and (oldest == nil or t < oldest) then oldest, oldest_raw, oldest_cid = t, created, cid end
end
local waiting = redis.call('ZRANGE', WAITING, 0, -1)
for _, cid in ipairs(waiting) do
  local c = redis.call('HMGET', conv_key(cid), 'created_at', 'first_reply_at')
  unanswered(cid, c[1], c[2])
end
local online, reminded = 0, {}
for _, aid in ipairs(redis.call('ZRANGE', ROTATION, 0, -1)) do
  local a = redis.call('HMGET', agent_key(aid), 'status', 'name')
  if a[1] == 'online' then online = online + 1 end
  local count = 0
  for _, cid in ipairs(redis.call('SMEMBERS', chats_key(aid))) do
    local c = redis.call('HMGET', conv_key(cid), 'created_at', 'first_reply_at', 'reminded_at', 'unreplied_since')
    unanswered(cid, c[1], c[2])
    if not blank(c[3]) and not blank(c[4]) then count = count + 1 end
  end
  if count > 0 then
    table.insert(reminded, aid)
    table.insert(reminded, count)
    table.insert(reminded, a[2] or '')
  end
end
local out = {#waiting, online, oldest_raw, oldest_cid}
for _, v in ipairs(reminded) do table.insert(out, v) end
return out
