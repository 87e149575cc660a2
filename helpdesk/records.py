"""Wire formats of the human handoff (what the bot's handoff action enqueues)."""

from __future__ import annotations

from typing import Optional, TypedDict


class HandoffRecord(TypedDict):
    """One conversation handed to humans; stored in the hash {kefu}:conv:{conversation_id}.

    All values are strings in Redis; priority is an integer (higher is served first), vip
    is "1" or "0", and created_at a Unix timestamp in seconds.
    """

    conversation_id: str
    channel: str  # rest, socketio, marketplace, ...
    customer: str  # verified customer id, or "" if the buyer is anonymous
    language: str  # en | zh
    category: str  # a category of categories.yml (complaint, order, human, ...)
    priority: int
    vip: bool
    reason: str  # complaint | requested | bot_failed | ownership_failed | change_address
    order_number: Optional[str]
    summary: str  # what the bot saw, for the agent's first glance
    created_at: float
