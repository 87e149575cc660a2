"""One entry point for every question about a specific order.

Routes the buyer's intent (or the question left pending while we asked for an order number
or proof of ownership) to its topic handler in orders.py / returns.py / payments.py, after
the ownership check. Three wrong emails/phones in a conversation hand it to a human.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import orders, payments, returns
from actions.context import Events, Turn, shop_may_be_down
from actions.handoff import hand_off
from actions.ownership import already_proven, contact_matches
from shop.store import OrderView


class Topic:
    def __init__(
        self,
        answer: Callable[[Turn, OrderView], Awaitable[Events]],
        general: Optional[Callable[[Turn], Awaitable[Events]]] = None,
    ) -> None:
        self.answer = answer  # the reply about a proven order
        self.general = general  # the reply when no order is named; None: ask for one


TOPICS: Dict[str, Topic] = {
    "order_status": Topic(orders.status),
    "shipping_time": Topic(orders.status, general=orders.shipping_time),
    "track_order": Topic(orders.track),
    "change_address": Topic(orders.change_address),
    "cancel_order": Topic(orders.cancel),
    "return_request": Topic(returns.offer_return),
    "exchange_request": Topic(returns.offer_exchange),
    "refund_status": Topic(returns.refund_status),
    "payment_failed": Topic(payments.failed_payment, general=payments.payment_advice),
}


class ActionOrderInfo(Action):
    def name(self) -> Text:
        return "action_order_info"

    @shop_may_be_down
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        turn = Turn(dispatcher, tracker)
        name = turn.intent if turn.intent in TOPICS else (turn.slot("pending_topic") or "order_status")
        topic = TOPICS[name]
        number = turn.slot("order_number")
        if not number:
            if topic.general is not None:
                return await topic.general(turn)
            turn.say("utter_ask_order_number", order_example=turn.cfg.formats.order_example)
            return [SlotSet("pending_topic", name)]

        order = await asyncio.to_thread(turn.repo.find_order, number)
        if order is None:
            turn.say("utter_order_not_found", order_number=number, order_example=turn.cfg.formats.order_example)
            return [SlotSet("order_number", None), SlotSet("pending_topic", name)]

        events: Events = []
        if not already_proven(order, turn):
            email, phone = turn.slot("email"), turn.slot("phone")
            if not (email or phone):
                turn.say("utter_ask_contact", order_number=number)
                return [SlotSet("pending_topic", name)]
            if not contact_matches(order, email, phone):
                return await self._mismatch(turn, number, name)
            events.append(SlotSet("verified_orders", [*(turn.slot("verified_orders") or []), number]))

        if order.as_of is not None:  # the platform is down: what we knew, dated, and no promise beyond it
            turn.say("utter_shop_last_known", as_of=turn.time(order.as_of))
        events += await topic.answer(turn, order)
        return events + [SlotSet("pending_topic", None)]

    @staticmethod
    async def _mismatch(turn: Turn, number: str, topic: str) -> Events:
        failures = int(turn.slot("ownership_failures") or 0) + 1
        limit = turn.cfg.handoff.max_ownership_failures
        # forget the wrong proof so it is not checked again next turn
        events: Events = [SlotSet("email", None), SlotSet("phone", None), SlotSet("ownership_failures", failures)]
        if failures >= limit:
            turn.say("utter_ownership_handoff")
            return (
                events
                + [SlotSet("pending_topic", None)]
                + await hand_off(turn, reason="ownership_failed", category="order")
            )
        turn.say("utter_ownership_mismatch", order_number=number, tries_left=limit - failures)
        return events + [SlotSet("pending_topic", topic)]
