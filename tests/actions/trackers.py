"""Build rasa_sdk Trackers the way the Rasa server sends them to the action server."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

SLOT_DEFAULTS: Dict[str, Any] = {"ownership_failures": 0.0, "awaiting_rating": False}


def user_event(
    text: str,
    intent: str,
    entities: Optional[List[dict]] = None,
    metadata: Optional[dict] = None,
    confidence: float = 0.99,
) -> dict:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": confidence}, "entities": entities or [], "text": text},
        "metadata": metadata or {},
        "input_channel": "rest",
    }


def tracker(
    text: str,
    intent: str,
    entities: Optional[List[dict]] = None,
    slots: Optional[Dict[str, Any]] = None,
    history: Optional[List[dict]] = None,
    metadata: Optional[dict] = None,
    sender_id: str = "buyer-1",
    confidence: float = 0.99,
) -> Tracker:
    latest = user_event(text, intent, entities, metadata, confidence)
    return Tracker(
        sender_id=sender_id,
        slots={**SLOT_DEFAULTS, **(slots or {})},
        latest_message={**latest["parse_data"], "metadata": metadata or {}},
        events=[*(history or []), latest],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def ent(name: str, value: str) -> dict:
    return {"entity": name, "value": value, "start": 0, "end": len(value)}


async def run(action, t: Tracker) -> tuple[list[dict], list[dict]]:
    """(messages the action sent, events it returned)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    return dispatcher.messages, events


def responses(messages: list[dict]) -> list[str]:
    return [m["response"] for m in messages]
