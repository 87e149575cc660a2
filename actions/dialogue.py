"""Small turns that depend on what came before: yes/no to a proposal, and the 1-5 rating."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Text

import redis
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import orders, returns
from actions.buyer_text import parse_rating
from actions.context import Turn, shop_may_be_down
from helpdesk.scripts import HandoffError

log = logging.getLogger(__name__)


class ActionConfirm(Action):
    """affirm/deny: carry out (or drop) what the bot just proposed, kept in pending_confirmation."""

    def name(self) -> Text:
        return "action_confirm"

    @shop_may_be_down
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        turn = Turn(dispatcher, tracker)
        pending = turn.slot("pending_confirmation") or ""
        what, _, number = pending.partition(":")
        done = [SlotSet("pending_confirmation", None)]
        # proposals are only made about proven orders; re-check so a stale or odd slot value does nothing
        if not what or number not in (turn.slot("verified_orders") or []):
            turn.say("utter_anything_else")
            return done
        if turn.intent == "deny":
            if what == "cancel":
                turn.say("utter_cancel_kept", order_number=number)
            else:
                turn.say("utter_return_declined")
            return done
        if what == "cancel":
            return done + await orders.confirm_cancel(turn, number)
        return done + await returns.confirm_return(turn, what, number)


def _store_rating(turn: Turn, rating: int) -> None:
    """Into the handoff's record (the helpdesk copies it to SQL); the buyer is thanked either way."""
    conversation_id = turn.tracker.sender_id
    try:
        turn.desk.queue.rate(conversation_id, rating)
    except HandoffError as exc:
        log.warning("rating %s for %s not stored: %s", rating, conversation_id, exc.code)
    except (redis.RedisError, OSError) as exc:
        log.error("rating %s for %s not stored, queue unreachable: %s", rating, conversation_id, exc)


class ActionRating(Action):
    """Takes the 1-5 rating the bot asked for after a handoff: a slot, and the handoff's record."""

    def name(self) -> Text:
        return "action_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        turn = Turn(dispatcher, tracker)
        if not turn.slot("awaiting_rating"):
            # a "rating" nobody asked for is more likely a misread message ("1=1", "5 pcs")
            turn.say("utter_default")
            return []
        value = turn.entity("rating") or turn.text
        rating = parse_rating(str(value))
        if rating is None:
            turn.say("utter_ask_rating_number")
            return []
        log.info("rating %s for %s", rating, tracker.sender_id)
        await asyncio.to_thread(_store_rating, turn, rating)
        turn.say("utter_rating_thanks" if rating >= 3 else "utter_rating_sorry", rating=rating)
        return [SlotSet("awaiting_rating", False), SlotSet("rating", float(rating))]
