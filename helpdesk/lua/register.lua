-- ARGV[5] agent id, then field/value pairs of the agent's profile (name, capacity, skills, tier, groups).
-- Keeps the agent's status; a new agent joins the round-robin rotation at the front.
local aid = ARGV[5]
for i = 6, #ARGV, 2 do redis.call('HSET', agent_key(aid), ARGV[i], ARGV[i + 1]) end
redis.call('ZADD', ROTATION, 'NX', 0, aid)
dispatch()
return {'ok'}
