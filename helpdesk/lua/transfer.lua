-- ARGV[5] conversation id, ARGV[6] acting agent, ARGV[7] target agent or '', ARGV[8] target group or '',
-- ARGV[9] '1' if a supervisor acts for the owner. To an agent: they must be online with room.
-- To a group: back to the front of the queue, for that group's agents only.
local cid, by, to, group, force = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9] == '1'
local conv = conv_key(cid)
local c = redis.call('HMGET', conv, 'state', 'agent')
if not c[1] then return {'not_found'} end
if c[1] ~= 'assigned' then return {'not_assigned'} end
if c[2] ~= by and not force then return {'not_yours', c[2]} end
if to ~= '' then
  if to == c[2] then return {'same_agent'} end
  local a = redis.call('HMGET', agent_key(to), 'status', 'capacity')
  if not a[2] then return {'unknown_agent'} end
  if a[1] ~= 'online' then return {'agent_not_online'} end
  if redis.call('SCARD', chats_key(to)) >= tonumber(a[2]) then return {'agent_full'} end
  take(cid, to, c[2])
  emit('transferred', cid, to, {from = c[2], by = by})
  return {'ok', to}
end
local known = false
for _, aid in ipairs(redis.call('ZRANGE', ROTATION, 0, -1)) do
  if in_list(redis.call('HGET', agent_key(aid), 'groups'), group) then known = true break end
end
if not known then return {'unknown_group'} end
release(cid, true)
redis.call('HSET', conv, 'group', group, 'exclude', c[2])
emit('transferred', cid, '', {from = c[2], by = by, group = group})
dispatch()
return {'ok', redis.call('HGET', conv, 'agent')}
