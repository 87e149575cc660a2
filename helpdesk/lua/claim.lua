-- ARGV[5] conversation id, ARGV[6] agent id: the agent takes a waiting chat (manual mode, or any mode).
local cid, aid = ARGV[5], ARGV[6]
local state = redis.call('HGET', conv_key(cid), 'state')
if not state then return {'not_found'} end
if state ~= 'waiting' then return {'not_waiting', redis.call('HGET', conv_key(cid), 'agent') or ''} end
local a = redis.call('HMGET', agent_key(aid), 'status', 'capacity')
if not a[2] then return {'unknown_agent'} end
if a[1] ~= 'online' then return {'agent_not_online'} end
if redis.call('SCARD', chats_key(aid)) >= tonumber(a[2]) then return {'agent_full'} end
take(cid, aid, '')
emit('claimed', cid, aid)
return {'ok', aid}
