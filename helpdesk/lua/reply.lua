-- ARGV[5] conversation id, ARGV[6] agent id: the owner answered the buyer; the timers stop.
local cid, aid = ARGV[5], ARGV[6]
local conv = conv_key(cid)
local c = redis.call('HMGET', conv, 'state', 'agent', 'first_reply_at', 'unreplied_since')
if not c[1] then return {'not_found'} end
if c[1] ~= 'assigned' then return {'not_assigned'} end
if c[2] ~= aid then return {'not_yours', c[2]} end
if blank(c[3]) then
  redis.call('HSET', conv, 'first_reply_at', ARGV[1])
  emit('first_reply', cid, aid)
elseif not blank(c[4]) then
  emit('replied', cid, aid) -- once per answered wait, so a rebuild knows the buyer is not owed an answer
end
emit('message', cid, aid) -- every message, for the messages-per-agent figures
redis.call('HSET', conv, 'unreplied_since', '', 'reminded_at', '')
disarm(cid)
return {'ok'}
