"""What crosses process boundaries in the human handoff: the record a handoff is queued with, and how an
agent's message is marked in the Rasa transcript."""

from __future__ import annotations

from typing import Any, Dict, Optional, TypedDict

# In a bot event's metadata: {"id", "name"} of the agent who wrote it. A key of our own: Rasa also
# files a response's template values (e.g. {agent_name}) under metadata.
AGENT_KEY = "kefu_agent"


class HandoffRecord(TypedDict):
    """One conversation handed to humans; stored in the hash {kefu}:conv:{conversation_id}.

    All values are strings in Redis; priority is an integer (higher is served first), vip
    is "1" or "0", and created_at a Unix timestamp in seconds.
    """

    conversation_id: str
    channel: str  # rest, socketio, marketplace, ...
    customer: str  # verified customer id, or "" if the buyer is anonymous
    customer_name: str  # the buyer's name in the shop's data, or "": the chat's title in the console
    language: str  # en | zh
    category: str  # a category of categories.yml (complaint, order, human, ...)
    priority: int
    vip: bool
    reason: str  # complaint | requested | bot_failed | ownership_failed | change_address
    order_number: Optional[str]
    summary: str  # what the bot saw, for the agent's first glance
    created_at: float


def agent_message_metadata(agent_id: str, agent_name: str) -> Dict[str, Dict[str, str]]:
    return {AGENT_KEY: {"id": agent_id, "name": agent_name}}


def agent_of(event: Dict[str, Any]) -> Dict[str, str]:
    """The agent who wrote a bot event ({} for the bot's own turns)."""
    agent = (event.get("metadata") or {}).get(AGENT_KEY)
    return agent if isinstance(agent, dict) else {}
