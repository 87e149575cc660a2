"""Payment troubleshooting, coupons and payment methods."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.buyer_text import coupon_codes
from actions.context import Events, Turn, shop_may_be_down
from actions.labels import join, label
from shop.parsing import Identifiers
from shop.store import CouponView, OrderView


async def payment_advice(turn: Turn) -> Events:
    turn.say("utter_payment_failed_general", advice=turn.t(turn.cfg.payment.general_advice))
    return []


async def failed_payment(turn: Turn, order: OrderView) -> Events:
    reasons = await asyncio.to_thread(turn.repo.failed_payments, order.number)
    if not reasons:
        turn.say("utter_payment_no_failure", order_number=order.number, status_label=label(order.status, turn.lang))
        return []
    advice = turn.cfg.payment.failure_advice.get(reasons[-1])
    text = turn.t(advice) if advice else turn.t(turn.cfg.payment.general_advice)
    turn.say("utter_payment_failed_order", order_number=order.number, advice=text)
    return []


def coupon_terms(c: CouponView, turn: Turn) -> str:
    lang = turn.lang
    off = turn.money(c.value) if c.kind == "amount" else f"{c.value:g}%"
    if lang == "zh":
        cond = f"满{turn.money(c.min_spend)}" if c.min_spend else "无门槛"
        return f"{cond}减{off}" if c.kind == "amount" else f"{cond}打{100 - c.value:g}折(减{off})"
    cond = f" on orders over {turn.money(c.min_spend)}" if c.min_spend else ""
    return f"{off} off{cond}"


class ActionCoupons(Action):
    """Lists the coupons valid today, or checks the code the buyer typed."""

    def name(self) -> Text:
        return "action_coupons"

    @shop_may_be_down
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        turn = Turn(dispatcher, tracker)
        repo, lang = turn.repo, turn.lang
        for code in coupon_codes(turn.text, Identifiers.of(turn.cfg)):
            c = await asyncio.to_thread(repo.coupon, code)
            if c is None:
                turn.say("utter_coupon_unknown", code=code)
            elif not c.active or c.ends_at < turn.now:
                turn.say("utter_coupon_expired", code=c.code, date=turn.date(c.ends_at))
            elif c.starts_at > turn.now:
                turn.say("utter_coupon_not_started", code=c.code, date=turn.date(c.starts_at))
            else:
                turn.say("utter_coupon_valid", code=c.code, terms=coupon_terms(c, turn))
            return []
        coupons = await asyncio.to_thread(repo.valid_coupons, turn.now)
        if not coupons:
            turn.say("utter_coupons_none")
            return []
        until = "有效期至" if lang == "zh" else "until"
        lines = [f"• {c.code}: {coupon_terms(c, turn)} ({until} {turn.date(c.ends_at)})" for c in coupons]
        turn.say("utter_coupons", coupons="\n".join(lines))
        return []


class ActionPaymentMethods(Action):
    def name(self) -> Text:
        return "action_payment_methods"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        turn = Turn(dispatcher, tracker)
        turn.say("utter_payment_methods", methods=join([turn.t(m) for m in turn.cfg.payment.methods], turn.lang))
        return []
