"""What the connector remembers about inbound events, in Redis: which event ids it has handled
(connectors/deliveries.py), and each conversation's newest message, read mark and close, so late
events never move them backwards.

    keys.channel_conversation  hash: buyer_id, last_message_at, read_up_to, closed_at (ms)
"""

from __future__ import annotations

from typing import Dict

import redis

from connectors.deliveries import Deliveries
from helpdesk import keys

# KEYS[1] conversation hash; ARGV field, value(ms), buyer_id. Raises the field to value if higher;
# returns the field's value before (0 if none), so the caller can tell a late event.
RAISE = """
local before = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > before then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('HSET', KEYS[1], 'buyer_id', ARGV[3])
redis.call('EXPIRE', KEYS[1], 2592000)
return before
"""


class Inbox(Deliveries):
    """The event ids (connectors/deliveries.py) and each conversation's marks."""

    def __init__(self, client: redis.Redis, channel: str, dedup_window_s: int, lease_s: int = 120) -> None:
        super().__init__(client, channel, dedup_window_s, lease_s)
        self._raise = client.register_script(RAISE)

    def conversation_key(self, conversation_id: str) -> str:
        return keys.channel_conversation(f"{self.channel}:{conversation_id}")

    def raise_mark(self, conversation_id: str, field: str, value_ms: int, buyer_id: str) -> int:
        """Set field to value_ms unless it is already later; the value before."""
        return int(self._raise(keys=[self.conversation_key(conversation_id)], args=[field, value_ms, buyer_id]))

    def conversation(self, conversation_id: str) -> Dict[str, str]:
        return self.redis.hgetall(self.conversation_key(conversation_id))
