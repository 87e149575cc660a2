"""A photo from the buyer: look at what it is about, and put it before a person when it shows a problem.

A photo without words reaches the bot as the intent send_photo (the channels send /send_photo); with words,
those words are understood as any message, and a photo beside a complaint is handed over by the complaint
rule itself. The agent sees every photo in the transcript.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import Turn
from actions.handoff import hand_off
from shop.attachments import attachments_of
from shop.categories import category_of

# what the buyer was talking about when a photo most likely shows a problem to be looked at by a person
AFTER_SALES = {"complaint", "return_request", "exchange_request", "refund_status"}


def earlier_topic(tracker: Tracker) -> Optional[str]:
    """The buyer's most recent after-sales intent in this session before the photo, if any."""
    for e in reversed(tracker.events[:-1] if tracker.events else []):
        if e.get("event") == "session_started":
            return None
        if e.get("event") == "user":
            intent = ((e.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent in AFTER_SALES:
                return intent
    return None


class ActionPhoto(Action):
    def name(self) -> Text:
        return "action_photo"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        turn = Turn(dispatcher, tracker)
        latest = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
        if not attachments_of(latest.get("metadata")):  # words about a photo, but none came
            turn.say("utter_photo_how", max_mb=f"{turn.cfg.attachments.max_mb:g}")
            return []
        topic = earlier_topic(tracker)
        if topic is None:
            turn.say("utter_photo_ask")  # buttons: damaged, wrong item, a person
            return []
        turn.say("utter_photo_to_agent")
        return await hand_off(turn, reason="photo", category=category_of(topic))
