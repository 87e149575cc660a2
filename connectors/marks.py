"""What a channel remembers of each conversation's buyer side, in Redis, as marks that only move forward, so a
late or replayed event never moves them back:

    keys.channel_conversation  hash: buyer_id, last_message_at, read_up_to, closed_at (ms)

A mark that moves is announced to the open consoles (keys.LIVE), which redraw the conversation: an agent sees
"read by the buyer" as it happens (the marketplace's read events, the web chat's seen).
"""

from __future__ import annotations

from typing import Dict

import redis

from helpdesk import keys

# KEYS[1] conversation hash, KEYS[2] the consoles' channel; ARGV field, value (ms), buyer id, conversation id.
# Raises the field to value if higher; returns the field's value before (0 if none), so the caller can tell
# a late event.
RAISE = """
local before = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > before then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('PUBLISH', KEYS[2], cjson.encode({kind = 'channel_mark', conversation_id = ARGV[4], agent = ''}))
end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'buyer_id', ARGV[3]) end
redis.call('EXPIRE', KEYS[1], 2592000)
return before
"""


class Marks:
    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._raise = client.register_script(RAISE)

    def raise_mark(self, conversation_id: str, field: str, value_ms: int, buyer_id: str = "") -> int:
        """Set field to value_ms unless it is already later; the value before."""
        key = keys.channel_conversation(conversation_id)
        return int(self._raise(keys=[key, keys.LIVE], args=[field, value_ms, buyer_id, conversation_id]))

    def of(self, conversation_id: str) -> Dict[str, str]:
        return self.redis.hgetall(keys.channel_conversation(conversation_id))
