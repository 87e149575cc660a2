-- ARGV[5] conversation id, ARGV[6] rating 1-5: the buyer's rating of a resolved handoff (first one counts).
local cid = ARGV[5]
local conv = conv_key(cid)
local c = redis.call('HMGET', conv, 'state', 'agent', 'rating')
if c[1] ~= 'resolved' then return {'not_resolved'} end
if not blank(c[3]) then return {'already_rated'} end
redis.call('HSET', conv, 'rating', ARGV[6])
emit('rating', cid, c[2], {rating = tonumber(ARGV[6])})
return {'ok'}
