-- ARGV[5] agent id, ARGV[6] online | away | offline | heartbeat | expire, ARGV[7] the expiry cutoff.
-- offline (signed off): every open chat goes back to the front of the queue.
-- expire (heartbeats stopped before the cutoff): only unanswered chats go back; the rest wait for them.
local aid, op = ARGV[5], ARGV[6]
local akey = agent_key(aid)
if redis.call('EXISTS', akey) == 0 then return {'unknown_agent'} end
local status = redis.call('HGET', akey, 'status')
if op == 'heartbeat' then
  if status == 'offline' then return {'offline'} end
  if blank(status) then -- Redis was rebuilt under a working agent: they are still here
    status = 'online'
    redis.call('HSET', akey, 'status', status)
    dispatch()
  end
  redis.call('ZADD', PRESENCE, NOW, aid)
  return {'ok', status}
end
if op == 'online' or op == 'away' then
  redis.call('HSET', akey, 'status', op)
  redis.call('ZADD', PRESENCE, NOW, aid)
  if status ~= op then emit('agent_' .. op, '', aid) end
  dispatch()
  return {'ok', op}
end
if op == 'expire' then
  local seen = redis.call('ZSCORE', PRESENCE, aid)
  if not seen or tonumber(seen) > tonumber(ARGV[7]) then return {'alive'} end
end
redis.call('HSET', akey, 'status', 'offline')
redis.call('ZREM', PRESENCE, aid)
if status ~= 'offline' then emit('agent_offline', '', aid, {why = op}) end
local returned = {}
for _, cid in ipairs(redis.call('SMEMBERS', chats_key(aid))) do
  if op == 'offline' or not blank(redis.call('HGET', conv_key(cid), 'unreplied_since')) then
    release(cid, true)
    emit('requeued', cid, '', {from = aid, why = op})
    table.insert(returned, cid)
  end
end
dispatch()
return {'ok', 'offline', unpack(returned)}
