"""What the connector remembers about inbound events, in Redis: which event ids it has handled, and
each conversation's newest message, read mark and close, so late events never move them backwards.

    keys.channel_event         "processing" while one process handles the event, then "done" for the window
    keys.channel_conversation  hash: buyer_id, last_message_at, read_up_to, closed_at (ms)
"""

from __future__ import annotations

from typing import Dict

import redis

from helpdesk import keys

# KEYS[1] event key; ARGV lease seconds. 'new' (the caller now owns it), 'duplicate' or 'busy'.
BEGIN = """
local state = redis.call('GET', KEYS[1])
if state == 'done' then return 'duplicate' end
if state then return 'busy' end
redis.call('SET', KEYS[1], 'processing', 'EX', ARGV[1])
return 'new'
"""

# KEYS[1] conversation hash; ARGV field, value(ms), buyer_id. Raises the field to value if higher;
# returns the field's value before (0 if none), so the caller can tell a late event.
RAISE = """
local before = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > before then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('HSET', KEYS[1], 'buyer_id', ARGV[3])
redis.call('EXPIRE', KEYS[1], 2592000)
return before
"""

# KEYS[1] event key: give it up (after a failure) only if it is still being processed.
ABANDON = """
if redis.call('GET', KEYS[1]) == 'processing' then redis.call('DEL', KEYS[1]) end
return 1
"""


class Inbox:
    def __init__(self, client: redis.Redis, channel: str, dedup_window_s: int, lease_s: int = 120) -> None:
        self.redis = client
        self.channel = channel
        self.window_s = dedup_window_s
        self.lease_s = lease_s
        self._begin = client.register_script(BEGIN)
        self._raise = client.register_script(RAISE)
        self._abandon = client.register_script(ABANDON)

    def _event(self, event_id: str) -> str:
        return keys.channel_event(self.channel, event_id)

    def conversation_key(self, conversation_id: str) -> str:
        return keys.channel_conversation(f"{self.channel}:{conversation_id}")

    def begin(self, event_id: str) -> str:
        """'new' (handle it, then call done or abandon), 'duplicate' (handled before) or 'busy'
        (another delivery of it is being handled right now)."""
        return self._begin(keys=[self._event(event_id)], args=[self.lease_s])

    def done(self, event_id: str) -> None:
        self.redis.set(self._event(event_id), "done", ex=self.window_s)

    def abandon(self, event_id: str) -> None:
        self._abandon(keys=[self._event(event_id)])

    def raise_mark(self, conversation_id: str, field: str, value_ms: int, buyer_id: str) -> int:
        """Set field to value_ms unless it is already later; the value before."""
        return int(self._raise(keys=[self.conversation_key(conversation_id)], args=[field, value_ms, buyer_id]))

    def conversation(self, conversation_id: str) -> Dict[str, str]:
        return self.redis.hgetall(self.conversation_key(conversation_id))
