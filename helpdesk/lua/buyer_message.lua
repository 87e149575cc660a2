-- ARGV[5] conversation id: the buyer wrote while handed off. An assigned chat starts owing an
-- answer (the reminder timer) unless it already does; open consoles hear of every message.
-- Returns {state} ('' when not handed off).
local cid = ARGV[5]
local conv = conv_key(cid)
local c = redis.call('HMGET', conv, 'state', 'agent', 'unreplied_since')
if c[1] == 'assigned' and blank(c[3]) then
  redis.call('HSET', conv, 'unreplied_since', ARGV[1])
  arm('remind', cid, NOW + REMIND)
  emit('buyer_waiting', cid, c[2])
end
if c[1] == 'assigned' or c[1] == 'waiting' then
  redis.call('PUBLISH', LIVE, cjson.encode({kind = 'buyer_message', conversation_id = cid, agent = c[2] or ''}))
end
return {c[1] or ''}
