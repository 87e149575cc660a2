-- ARGV[5] conversation id, ARGV[6] acting agent, ARGV[7] '1' if a supervisor acts for the owner.
-- Frees the agent's slot, puts the chat in the resume outbox (the bot takes over) and assigns the next.
local cid, by, force = ARGV[5], ARGV[6], ARGV[7] == '1'
local conv = conv_key(cid)
local c = redis.call('HMGET', conv, 'state', 'agent', 'assigned_at')
if not c[1] then return {'not_found'} end
if c[1] == 'resolved' then return {'already_resolved'} end
if c[1] ~= 'assigned' then return {'not_assigned'} end
if c[2] ~= by and not force then return {'not_yours', c[2]} end
redis.call('SREM', chats_key(c[2]), cid)
redis.call('HSET', conv, 'state', 'resolved', 'resolved_at', ARGV[1], 'resolved_by', by)
disarm(cid)
redis.call('LPUSH', HANDLE_TIMES, NOW - tonumber(c[3]))
redis.call('LTRIM', HANDLE_TIMES, 0, 49)
redis.call('ZADD', RESUME, NOW, cid)
redis.call('EXPIRE', conv, 7 * 86400)
emit('resolved', cid, c[2], {by = by})
dispatch()
return {'ok', c[2]}
