-- ARGV[5] conversation id, ARGV[6] session length (s), ARGV[7] channel, ARGV[8] language, ARGV[9] category,
-- ARGV[10] customer, ARGV[11] order number: the buyer is active (a message, or an order proven).
-- The first call of a session records a conversation; later ones record what it newly learned
-- (the first category, the buyer). Every call keeps the session open ARGV[6] more seconds.
-- Returns {the conversation record's id, 1 if this call started it else 0}.
local cid, ttl = ARGV[5], tonumber(ARGV[6])
local sess = session_key(cid)
local fields = {category = ARGV[9], customer = ARGV[10], order_number = ARGV[11]}
-- into the stream only: consoles have nothing to show for a conversation the bot is handling
local function note(kind, detail)
  return redis.call('XADD', EVENTS, '*', 'kind', kind, 'conversation_id', cid, 'handoff_id', '', 'agent', '',
    'at', ARGV[1], 'detail', cjson.encode(detail))
end
local rec = redis.call('HGET', sess, 'id')
local started = 0
if not rec then
  rec = note('conversation', {channel = ARGV[7], language = ARGV[8], category = ARGV[9],
    customer = ARGV[10], order_number = ARGV[11]})
  redis.call('HSET', sess, 'id', rec, 'category', ARGV[9], 'customer', ARGV[10], 'order_number', ARGV[11])
  started = 1
else
  local known = redis.call('HMGET', sess, 'category', 'customer', 'order_number')
  local learned, flat = {}, {}
  local names = {'category', 'customer', 'order_number'}
  for i, name in ipairs(names) do
    if blank(known[i]) and not blank(fields[name]) then
      learned[name] = fields[name]
      table.insert(flat, name)
      table.insert(flat, fields[name])
    end
  end
  if #flat > 0 then
    learned.id = rec
    note('conversation_update', learned)
    redis.call('HSET', sess, unpack(flat))
  end
end
redis.call('EXPIRE', sess, ttl)
return {rec, started}
