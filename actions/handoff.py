"""Handing a conversation to a human: complaints, "human please", and the bot giving up."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Dict, List, Text, Tuple

import redis
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, ConversationResumed, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import Events, Turn
from helpdesk.payloads import HandoffRecord
from helpdesk.queue import Placement
from shop import hours
from shop.store import StoreUnavailable
from shop.understanding import unclear_streak

log = logging.getLogger(__name__)


def _summary(tracker: Tracker, limit: int = 3) -> str:
    """The buyer's last few messages with what the bot took them for."""
    lines = []
    for e in reversed(tracker.events):
        if e.get("event") == "user" and e.get("text"):
            intent = ((e.get("parse_data") or {}).get("intent") or {}).get("name", "?")
            lines.append(f"[{intent}] {e['text'][:200]}")
            if len(lines) == limit:
                break
    return "\n".join(reversed(lines))


def _known_buyer(turn: Turn) -> Tuple[bool, str]:
    """Whether the buyer is a VIP, and their name, from the shop's data ("" when not known)."""
    try:
        return _buyer_in_shop_data(turn)
    except StoreUnavailable:  # the handoff goes on without the VIP priority: a person is more urgent
        log.warning("VIP check skipped for %s: the shop's data is unavailable", turn.tracker.sender_id)
        return False, ""


def _buyer_in_shop_data(turn: Turn) -> Tuple[bool, str]:
    number = turn.slot("order_number")
    verified = turn.slot("verified_orders") or []
    if number and number in verified:
        order = turn.repo.find_order(number)
        return (bool(order.customer_vip), order.customer_name or "") if order else (False, "")
    cid = turn.verified_customer
    customer = turn.repo.customer_by_channel_id(cid) if cid else None
    return (bool(customer.vip), customer.name or "") if customer else (False, "")


async def hand_off(turn: Turn, reason: str, category: str) -> Events:
    """Queue the conversation for a human and pause the bot.

    Says utter_handoff (unless the caller already apologised) and returns ConversationPaused;
    if the queue cannot be reached, tells the buyer how else to reach the shop and keeps the
    bot running, so the buyer is never left talking to nobody.
    """
    prio = turn.cfg.handoff.priority
    vip, name = await asyncio.to_thread(_known_buyer, turn)
    priority = prio.get("default", 0) + (prio.get("complaint", 0) if category == "complaint" else 0)
    priority += prio.get("vip", 0) if vip else 0
    number = turn.slot("order_number")
    record: HandoffRecord = {
        "conversation_id": turn.tracker.sender_id,
        "channel": turn.tracker.get_latest_input_channel() or "",
        "customer": turn.verified_customer or "",
        "customer_name": name,
        "language": turn.lang,
        "category": category,
        "priority": priority,
        "vip": vip,
        "reason": reason,
        "order_number": number if number in (turn.slot("verified_orders") or []) else None,
        "summary": _summary(turn.tracker),
        "created_at": time.time(),
    }
    try:
        placement = await asyncio.to_thread(_enqueue, turn, record)
        await asyncio.to_thread(_tell_where_they_stand, turn, placement, record["created_at"])
    except (redis.RedisError, OSError) as exc:
        log.error("handoff queue unreachable for %s: %s", record["conversation_id"], exc)
        turn.say("utter_handoff_unavailable", support_email=turn.cfg.shop.support_email)
        return []
    return [ConversationPaused()]


def _enqueue(turn: Turn, record: HandoffRecord) -> Placement:
    return turn.desk.queue.enqueue(record)  # the first call connects (or starts the embedded Redis)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _tell_where_they_stand(turn: Turn, placement: Placement, now: float) -> None:
    """With an agent now; or outside business hours, when the shop opens; or their place in line."""
    desk = turn.desk
    turn.say("utter_handoff")
    if placement.state == "assigned":
        name = desk.agents.get(placement.agent).get("name") or placement.agent
        turn.say("utter_handoff_assigned", agent_name=name)
        return
    cfg = turn.cfg
    if not hours.is_open(now, cfg.business_hours, cfg.shop.timezone):
        opens = hours.next_opening(now, cfg.business_hours, cfg.shop.timezone)
        if opens is not None:
            turn.say("utter_handoff_after_hours", opens=hours.describe_opening(opens, now, turn.lang))
            return
    position = max(placement.position, 1)
    eta = desk.queue.eta_minutes(position, cfg.timers.default_handle_s)
    turn.say("utter_handoff_busy", position=ordinal(position) if turn.lang == "en" else position, eta=eta)


class ActionHandoff(Action):
    """The buyer asked for a person."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return await hand_off(Turn(dispatcher, tracker), reason="requested", category="human")


class ActionComplaint(Action):
    """Apologise and hand off at once, with high priority: complaints always reach a human."""

    def name(self) -> Text:
        return "action_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        turn = Turn(dispatcher, tracker)
        turn.say("utter_complaint_apology", support_email=turn.cfg.shop.support_email)
        return await hand_off(turn, reason="complaint", category="complaint")


class ActionFallback(Action):
    """Not understood (or off-topic): rephrase once, then a human takes over.

    components/unclear_turns_policy.py also runs it when a streak of low-confidence guesses
    reaches the limit, whatever intent was guessed.
    """

    def name(self) -> Text:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        turn = Turn(dispatcher, tracker)
        rules = turn.cfg.handoff
        if unclear_streak(reversed(tracker.events), rules.unclear_below) >= rules.max_bot_failures:
            turn.say("utter_fallback_handoff")
            return await hand_off(turn, reason="bot_failed", category="other")
        turn.say("utter_out_of_scope" if turn.intent == "out_of_scope" else "utter_default")
        return []


class ActionHandoffResolved(Action):
    """Run by the helpdesk (Rasa's /execute) after an agent resolved the chat: the bot is back, asks a rating."""

    def name(self) -> Text:
        return "action_handoff_resolved"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        turn = Turn(dispatcher, tracker)
        turn.say("utter_handoff_resolved")
        turn.say("utter_ask_rating")
        # /execute runs this outside a turn; listening afterwards lets the rules read the answer
        return [ConversationResumed(), SlotSet("awaiting_rating", True), ActionExecuted("action_listen")]
