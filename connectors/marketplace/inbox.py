"""What the connector remembers about inbound events, in Redis: which event ids it has handled
(connectors/deliveries.py), and each conversation's newest message, read mark and close (connectors/marks.py).
"""

from __future__ import annotations

from typing import Dict

import redis

from connectors.deliveries import Deliveries
from connectors.marks import Marks


class Inbox(Deliveries):
    """The event ids (connectors/deliveries.py) and each conversation's marks."""

    def __init__(self, client: redis.Redis, channel: str, dedup_window_s: int, lease_s: int = 120) -> None:
        super().__init__(client, channel, dedup_window_s, lease_s)
        self.marks = Marks(client)

    def raise_mark(self, conversation_id: str, field: str, value_ms: int, buyer_id: str) -> int:
        """Set field to value_ms unless it is already later; the value before."""
        return self.marks.raise_mark(f"{self.channel}:{conversation_id}", field, value_ms, buyer_id)

    def conversation(self, conversation_id: str) -> Dict[str, str]:
        return self.marks.of(f"{self.channel}:{conversation_id}")
