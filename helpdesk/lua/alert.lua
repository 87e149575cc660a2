-- ARGV[5] 'raise' | 'clear', ARGV[6] alert name, ARGV[7] text, ARGV[8] value, ARGV[9] threshold ('' = none).
-- The one place an alert changes state, so that any number of sweepers evaluating at once fire it once:
-- raising an alert that is not active fires it (since = now); raising an active one only updates its text and
-- last time; clearing an active one removes it; clearing one that is not active does nothing. A firing and a
-- clearing each queue one webhook delivery (helpdesk/alert_webhook.py sends them, oldest first) and tell open
-- consoles to refresh. Returns {'firing' | 'cleared' | 'updated' | 'quiet'}.
local op, name, text = ARGV[5], ARGV[6], ARGV[7]
local function number_or_null(v)
  if v == '' then return cjson.null end
  return tonumber(v)
end
local old = redis.call('HGET', ALERTS, name)
local since = NOW
if old then since = cjson.decode(old).since or NOW end
local state
if op == 'raise' then
  redis.call('HSET', ALERTS, name, cjson.encode({text = text, since = since, last = NOW}))
  if old then return {'updated'} end
  state = 'firing'
elseif op == 'clear' then
  if not old then return {'quiet'} end
  redis.call('HDEL', ALERTS, name)
  state = 'cleared'
else
  return {'bad_op'}
end
local id = redis.call('INCR', ALERT_OUTBOX_SEQ)
redis.call('HSET', ALERT_DELIVERIES, id, cjson.encode({alert = name, state = state, text = text,
  value = number_or_null(ARGV[8]), threshold = number_or_null(ARGV[9]), since = since, at = NOW,
  attempts = 0, due = NOW}))
redis.call('RPUSH', ALERT_OUTBOX, id)
redis.call('PUBLISH', LIVE, cjson.encode({kind = 'alert', conversation_id = '', agent = ''}))
return {state}
