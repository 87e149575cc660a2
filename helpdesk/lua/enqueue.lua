-- ARGV[5] conversation id, ARGV[6] queue score, then field/value pairs of the handoff record.
-- Returns {queued 1|0, state, agent, position}; 0 when the chat is already waiting or assigned.
local cid = ARGV[5]
local conv = conv_key(cid)
local state = redis.call('HGET', conv, 'state')
if state == 'waiting' or state == 'assigned' then
  return {0, state, redis.call('HGET', conv, 'agent') or '', position(cid)}
end
redis.call('DEL', conv)
local record, fields = {}, {}
for i = 7, #ARGV, 2 do
  record[ARGV[i]] = ARGV[i + 1]
  table.insert(fields, ARGV[i])
  table.insert(fields, ARGV[i + 1])
end
-- the queued event's stream id names this handoff for good (unique even if Redis is rebuilt)
local hid = emit('queued', cid, '', record, '')
redis.call('HSET', conv, 'state', 'waiting', 'score', ARGV[6], 'agent', '', 'handoff_id', hid, unpack(fields))
redis.call('ZADD', WAITING, ARGV[6], cid)
dispatch()
local now = redis.call('HMGET', conv, 'state', 'agent')
return {1, now[1], now[2], now[1] == 'waiting' and position(cid) or 0}
