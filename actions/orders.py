"""Order status, tracking, shipping times, address changes and cancellation."""

from __future__ import annotations

import asyncio
import logging

from rasa_sdk.events import SlotSet

from actions.context import Events, Turn
from actions.handoff import hand_off
from actions.labels import join, label
from actions.tracking import CarrierUnavailable, Tracking
from shop.store import OrderView

log = logging.getLogger(__name__)


def items_text(order: OrderView, turn: Turn) -> str:
    lang, parts = turn.lang, []
    for i in order.items:
        words = [i.product_zh if lang == "zh" else i.product_en, turn.colour(i.colour) if i.colour else ""]
        words.append(i.size if i.size != "F" else "")  # "F": one size, nothing to say
        qty = f" ×{i.quantity}" if i.quantity > 1 else ""
        parts.append(" ".join(w for w in words if w) + qty)
    return join(parts, lang)


async def _tracking(turn: Turn, order: OrderView) -> Tracking | None:
    return await asyncio.to_thread(turn.services.carrier.track, order.tracking_no)


async def shipping_time(turn: Turn) -> Events:
    lang = turn.lang
    lines = [
        f"{turn.t(r.name)} {r.min_days}-{r.max_days}{' 天' if lang == 'zh' else ' days'}"
        for r in turn.cfg.shipping.regions.values()
    ]
    turn.say("utter_shipping_time", dispatch_hours=turn.cfg.shipping.dispatch_hours, regions=join(lines, lang))
    return []


async def status(turn: Turn, order: OrderView) -> Events:
    lang, cfg = turn.lang, turn.cfg
    common = {"order_number": order.number, "items": items_text(order, turn)}
    if order.status == "unpaid":
        turn.say("utter_order_unpaid", cancel_hours=cfg.payment.unpaid_cancel_hours, **common)
    elif order.status == "paid":
        region = turn.cfg.shipping.region_of(order.region)
        turn.say(
            "utter_order_paid",
            dispatch_hours=cfg.shipping.dispatch_hours,
            region=turn.t(region.name),
            min_days=region.min_days,
            max_days=region.max_days,
            **common,
        )
    elif order.status == "shipped":
        await _say_shipped(turn, order, common)
    elif order.status == "delivered":
        turn.say("utter_order_delivered", delivered_date=turn.date(order.delivered_at), **common)
    elif order.status == "cancelled":
        turn.say("utter_order_cancelled", **common)
    elif order.status == "return_requested":
        turn.say(
            "utter_order_return_requested",
            return_kind=label(order.open_return or "return", lang),
            refund_days=cfg.returns.refund_days,
            **common,
        )
    elif order.status == "refunded":
        turn.say(
            "utter_order_refunded",
            refund_amount=turn.money(order.refund_amount or order.total),
            refunded_date=turn.date(order.refunded_at),
            **common,
        )
    return []


async def _say_shipped(turn: Turn, order: OrderView, common: dict) -> None:
    lang = turn.lang
    try:
        tracking = await _tracking(turn, order)
    except CarrierUnavailable as exc:
        log.warning("carrier unavailable for %s: %s", order.tracking_no, exc)
        _say_last_known(turn, order)
        return
    latest = tracking.events[-1] if tracking and tracking.events else None
    turn.say(
        "utter_order_shipped",
        shipped_date=turn.date(order.shipped_at),
        carrier=order.carrier,
        tracking_no=order.tracking_no,
        tracking_status=label(latest.status if latest else order.last_status, lang),
        location=(latest.location if latest else order.last_location) or "-",
        event_time=latest.time[:16].replace("T", " ") if latest else turn.time(order.last_event_at),
        eta=turn.date(order.eta),
        **common,
    )


def _say_last_known(turn: Turn, order: OrderView) -> None:
    lang = turn.lang
    turn.say(
        "utter_tracking_unavailable",
        order_number=order.number,
        tracking_status=label(order.last_status or "in_transit", lang),
        location=order.last_location or "-",
        event_time=turn.time(order.last_event_at),
        tracking_no=order.tracking_no,
    )


async def track(turn: Turn, order: OrderView) -> Events:
    lang = turn.lang
    if not order.tracking_no:
        if order.status in ("unpaid", "paid"):
            turn.say(
                "utter_not_shipped_yet", order_number=order.number, dispatch_hours=turn.cfg.shipping.dispatch_hours
            )
            return []
        return await status(turn, order)
    try:
        tracking = await _tracking(turn, order)
    except CarrierUnavailable as exc:
        log.warning("carrier unavailable for %s: %s", order.tracking_no, exc)
        _say_last_known(turn, order)
        return []
    if not tracking or not tracking.events:
        return await status(turn, order)
    lines = [f"• {e.time[:16].replace('T', ' ')}  {label(e.status, lang)}  {e.location}" for e in tracking.events]
    turn.say(
        "utter_tracking_events",
        order_number=order.number,
        carrier=order.carrier,
        tracking_no=order.tracking_no,
        events="\n".join(lines),
        eta=turn.date(order.eta),
    )
    return []


async def change_address(turn: Turn, order: OrderView) -> Events:
    if order.status in ("unpaid", "paid"):
        turn.say("utter_change_address_possible", order_number=order.number)
        return await hand_off(turn, reason="change_address", category="order")
    if order.status == "shipped":
        turn.say(
            "utter_change_address_too_late",
            order_number=order.number,
            carrier=order.carrier,
            tracking_no=order.tracking_no,
        )
        return []
    return await status(turn, order)


async def cancel(turn: Turn, order: OrderView) -> Events:
    if order.status in ("unpaid", "paid"):
        turn.say("utter_cancel_confirm", order_number=order.number, items=items_text(order, turn))
        return [SlotSet("pending_confirmation", f"cancel:{order.number}")]
    if order.status in ("shipped", "delivered"):
        turn.say("utter_cancel_too_late", order_number=order.number, window_days=turn.cfg.returns.window_days)
        return []
    turn.say("utter_cancel_not_possible", order_number=order.number, status_label=label(order.status, turn.lang))
    return []


async def confirm_cancel(turn: Turn, number: str) -> Events:
    was = await asyncio.to_thread(turn.repo.cancel_order, number, turn.now)
    if was == "paid":
        turn.say("utter_cancel_done_paid", order_number=number, refund_days=turn.cfg.returns.refund_days)
    elif was == "unpaid":
        turn.say("utter_cancel_done_unpaid", order_number=number)
    else:  # it shipped or changed in the meantime
        order = await asyncio.to_thread(turn.repo.find_order, number)
        if order:
            await cancel(turn, order)
    return []
