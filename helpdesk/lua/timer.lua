-- ARGV[5] timer member ('remind|<cid>' or 'reassign|<cid>'). Fires it once, whatever the number of
-- sweepers: only the call that removes a due timer acts on it.
local member = ARGV[5]
local due = redis.call('ZSCORE', TIMERS, member)
if not due or tonumber(due) > NOW then return {'not_due'} end
redis.call('ZREM', TIMERS, member)
local kind, cid = string.match(member, '^(%a+)|(.*)$')
local conv = conv_key(cid)
local c = redis.call('HMGET', conv, 'state', 'agent', 'unreplied_since')
if c[1] ~= 'assigned' or blank(c[3]) then return {'stale'} end
if kind == 'remind' then
  redis.call('HSET', conv, 'reminded_at', ARGV[1])
  arm('reassign', cid, NOW + REASSIGN)
  emit('reminded', cid, c[2])
  return {'reminded', c[2]}
end
redis.call('HSET', conv, 'exclude', c[2])
local to = pick(cid)
if to then
  take(cid, to, c[2])
  emit('reassigned', cid, to, {from = c[2]})
  return {'reassigned', to}
end
redis.call('HSET', conv, 'exclude', '')
arm('reassign', cid, NOW + REASSIGN) -- nobody else has room: try again later, and tell supervisors
emit('reassign_pending', cid, c[2])
return {'no_one_free', c[2]}
