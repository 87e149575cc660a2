"""Return policy, whether a given order can still be returned, opening a return, refund status."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import Events, Turn
from actions.labels import join, label
from actions.orders import items_text
from shop.store import OrderView, StoreUnavailable


def _mask_email(email: str) -> str:
    user, _, domain = email.partition("@")
    return f"{user[:2]}***@{domain}"


async def _offer(turn: Turn, order: OrderView, kind: str) -> Events:
    """Check the order against the shop's return rules; offer to open the request if it passes."""
    lang, rules = turn.lang, turn.cfg.returns
    common = {"order_number": order.number}
    if order.open_return:
        turn.say(
            "utter_return_already_open",
            return_kind=label(order.open_return, lang),
            refund_days=rules.refund_days,
            **common,
        )
        return []
    if order.status in ("unpaid", "paid", "shipped"):
        turn.say(
            "utter_return_not_delivered",
            status_label=label(order.status, lang),
            window_days=rules.window_days,
            **common,
        )
        return []
    if order.status != "delivered":
        turn.say("utter_return_not_possible", status_label=label(order.status, lang), **common)
        return []
    blocked = [i for i in order.items if i.category in rules.non_returnable_categories]
    if blocked:
        item = blocked[0]
        turn.say(
            "utter_return_not_returnable",
            product=item.product_zh if lang == "zh" else item.product_en,
            category=turn.category(item.category),
        )
        return []
    deadline = order.delivered_at + timedelta(days=rules.window_days)
    if turn.now > deadline:
        turn.say(
            "utter_return_window_passed",
            delivered_date=turn.date(order.delivered_at),
            window_days=rules.window_days,
            deadline=turn.date(deadline),
            **common,
        )
        return []
    turn.say(
        "utter_return_eligible",
        items=items_text(order, turn),
        delivered_date=turn.date(order.delivered_at),
        deadline=turn.date(deadline),
        return_kind=label(kind, lang),
        **common,
    )
    return [SlotSet("pending_confirmation", f"{kind}:{order.number}")]


async def offer_return(turn: Turn, order: OrderView) -> Events:
    return await _offer(turn, order, "return")


async def offer_exchange(turn: Turn, order: OrderView) -> Events:
    return await _offer(turn, order, "exchange")


async def confirm_return(turn: Turn, kind: str, number: str) -> Events:
    """The buyer said yes to opening a return/exchange that _offer found eligible."""
    repo = turn.repo
    created = await asyncio.to_thread(repo.create_return, number, kind, turn.text[:500], turn.now)
    order = await asyncio.to_thread(repo.find_order, number)
    if not created:
        turn.say(
            "utter_return_already_open",
            order_number=number,
            return_kind=label(order.open_return or kind, turn.lang),
            refund_days=turn.cfg.returns.refund_days,
        )
        return []
    turn.say(
        "utter_return_created",
        order_number=number,
        return_kind=label(kind, turn.lang),
        email_masked=_mask_email(order.customer_email),
        condition=turn.t(turn.cfg.returns.condition),
    )
    return []


async def refund_status(turn: Turn, order: OrderView) -> Events:
    lang = turn.lang
    if order.status == "refunded":
        turn.say(
            "utter_order_refunded",
            order_number=order.number,
            refund_amount=turn.money(order.refund_amount or order.total),
            refunded_date=turn.date(order.refunded_at),
        )
    elif order.open_return:
        turn.say(
            "utter_refund_pending",
            order_number=order.number,
            return_kind=label(order.open_return, lang),
            refund_days=turn.cfg.returns.refund_days,
            amount=turn.money(order.total),
        )
    else:
        turn.say("utter_refund_none", order_number=order.number, status_label=label(order.status, lang))
    return []


class ActionReturnPolicy(Action):
    def name(self) -> Text:
        return "action_return_policy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        turn = Turn(dispatcher, tracker)
        lang, rules = turn.lang, turn.cfg.returns
        paid_by = [
            f"{label(reason, lang)}: {label(who, lang)}" for reason, who in rules.return_shipping_paid_by.items()
        ]
        blocked = join([turn.category(c) for c in rules.non_returnable_categories], lang)
        turn.say(
            "utter_return_policy",
            window_days=rules.window_days,
            condition=turn.t(rules.condition),
            non_returnable=blocked[:1].upper() + blocked[1:],
            shipping_note=join(paid_by, lang),
            refund_days=rules.refund_days,
        )
        await _window_of_known_order(turn)
        return []


async def _window_of_known_order(turn: Turn) -> None:
    """After the general policy, the dates that apply to the order this buyer already proved is theirs."""
    number = turn.slot("order_number")
    if not number or number not in (turn.slot("verified_orders") or []):
        return
    try:
        order = await asyncio.to_thread(turn.repo.find_order, number)
    except StoreUnavailable:  # the policy itself was said; the dates of this order can wait
        return
    if order is None or order.status != "delivered" or order.delivered_at is None:
        return
    deadline = order.delivered_at + timedelta(days=turn.cfg.returns.window_days)
    closed = turn.now > deadline
    turn.say(
        "utter_return_window_for_order_closed" if closed else "utter_return_window_for_order_open",
        order_number=number,
        delivered_date=turn.date(order.delivered_at),
        deadline=turn.date(deadline),
    )
