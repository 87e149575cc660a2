"""A new session after a silence (domain/core.yml session_expiration_time): what carries over.

Rasa's own action_session_start forgets everything, the pause included, so a buyer who writes the
next morning to a chat an agent owns would be greeted by the bot. Here:
- a chat the helpdesk holds (waiting or assigned) stays paused: the agent answers, not the bot;
- the language carries over;
- orders the buyer proved stay theirs for shop.yml sessions.keep_proof_h after the proof, with the
  order being discussed and the count of wrong proofs (so a new session gives no fresh guesses).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Dict, List, Optional, Text

import redis
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import Events, Turn

log = logging.getLogger(__name__)


def _proved_at(tracker: Tracker) -> Optional[float]:
    """When verified_orders was last set, if it was."""
    for e in reversed(tracker.events):
        if e.get("event") == "slot" and e.get("name") == "verified_orders" and e.get("value"):
            return float(e.get("timestamp") or 0)
    return None


def carried_slots(tracker: Tracker, keep_proof_s: float, now: float) -> Events:
    """The SlotSet events that start the new session with what the old one should pass on."""
    events: Events = []
    if tracker.get_slot("language"):
        events.append(SlotSet("language", tracker.get_slot("language")))
    proved = _proved_at(tracker)
    if proved is not None and now - proved <= keep_proof_s:
        verified = tracker.get_slot("verified_orders") or []
        events.append(SlotSet("verified_orders", verified))
        if tracker.get_slot("order_number") in verified:
            events.append(SlotSet("order_number", tracker.get_slot("order_number")))
        if tracker.get_slot("ownership_failures"):
            events.append(SlotSet("ownership_failures", tracker.get_slot("ownership_failures")))
    return events


def _held_by_helpdesk(turn: Turn) -> bool:
    """Whether an agent has (or is about to have) this chat. If Redis cannot say, the old session's
    pause stands: better a late answer from a person than the bot talking over them."""
    try:
        return turn.desk.queue.holds(turn.tracker.sender_id)
    except (redis.RedisError, OSError) as exc:
        log.error("helpdesk unreachable at session start of %s: %s", turn.tracker.sender_id, exc)
        return turn.tracker.is_paused()


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        turn = Turn(dispatcher, tracker)
        keep_s = turn.cfg.sessions.keep_proof_h * 3600
        events: Events = [SessionStarted(), *carried_slots(tracker, keep_s, time.time())]
        if await asyncio.to_thread(_held_by_helpdesk, turn):
            events.append(ConversationPaused())
        events.append(ActionExecuted("action_listen"))
        return events
