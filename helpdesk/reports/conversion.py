"""Conversion after a chat: of the period's conversations whose buyer is known, the share after which that buyer
placed an order within conversion_hours, read from the shop's data.

The buyer of a conversation is the one its channel verified (Conversation.customer, the shop customer's
channel_id) or the owner of the order it proved (Conversation.order_number). "After the chat" is after the
handoff was resolved if it was handed off and resolved, else after the conversation started. The record and the
shop are two databases: one query reads the conversations with a known buyer, one call (two queries) reads the
shop's orders of the window they span, and they are matched here.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Collection, Dict, List, Optional, Tuple

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from helpdesk.record.models import Conversation, Handoff
from helpdesk.reports.period import Period
from shop.store import PlacedOrders, ShopStore, StoreUnavailable

log = logging.getLogger(__name__)

# the shop's orders placed in [start, end] (naive UTC) and the owners of the proven order numbers among their buyers,
# or None when its platform cannot say (ShopStore.orders_placed)
OrderLookup = Callable[[datetime, datetime, Collection[str]], Optional[PlacedOrders]]


def shop_orders(store: ShopStore) -> OrderLookup:
    """The store's orders_placed, with its data out of reach read as "unknown" (logged): the other figures stand,
    conversion is null (a rolled-up day gets it from a later report)."""

    def lookup(start: datetime, end: datetime, numbers: Collection[str]) -> Optional[PlacedOrders]:
        try:
            return store.orders_placed(start, end, numbers)
        except StoreUnavailable as exc:
            log.warning("the shop's orders could not be read, conversion unknown: %s", exc)
            return None

    return lookup


@dataclass
class Converted:
    buyers: int = 0  # conversations with a known buyer
    converted: int = 0  # of those, followed by an order of that buyer within conversion_hours

    def figures(self) -> Dict[str, Any]:
        rate = round(self.converted / self.buyers, 3) if self.buyers else None
        return {"buyers": self.buyers, "converted": self.converted, "rate": rate}


def its_handoff(period: Period) -> ColumnElement:
    """Joins a conversation of the period to its (first) handoff. The record links a handoff to a conversation that
    started before it was queued (events._link_handoff), so the handoffs queued before the period are left out
    exactly, and the created_at index keeps the join from reading every handoff ever made."""
    return and_(Handoff.id == Conversation.handoff_id, Handoff.created_at >= period.start)


def conversions(session: Session, key: Optional[ColumnElement], period: Period, hours: float,
                orders: Optional[OrderLookup]) -> Optional[Tuple[Converted, Dict[Any, Converted]]]:  # fmt: skip
    """(the period's total, per group key) or None when the shop cannot list its orders."""
    if orders is None:
        return None
    after = func.coalesce(Handoff.resolved_at, Conversation.started_at)
    keyed = [key.label("k")] if key is not None else []
    rows = (
        session.connection()
        .execute(  # Core rows: no ORM work per row
            select(*keyed, Conversation.customer, Conversation.order_number, after)
            .select_from(Conversation)
            .outerjoin(Handoff, its_handoff(period))
            .where(
                Conversation.started_at >= period.start,
                Conversation.started_at < period.end,
                or_(Conversation.customer != "", Conversation.order_number != ""),
            )
        )
        .all()
    )
    total, groups = Converted(), {}
    if not rows:
        return total, groups
    window_s = hours * 3600
    times = [row[-1] for row in rows]
    proven = {row[-2] for row in rows if row[-2]}
    placed = orders(_utc(min(times)), _utc(max(times) + window_s), proven)
    if placed is None:
        return None
    bought = {buyer: sorted(_unix(t) for t in when) for buyer, when in placed.times.items()}
    by_channel_id, by_order_number, none = placed.by_channel_id, placed.by_order_number, []
    counts: Dict[Any, List[int]] = {}  # group key -> [buyers, converted]
    for row in rows:
        customer, number, at = row[-3:]
        hit = _placed_within(bought.get(by_channel_id.get(customer), none), at, at + window_s) or (
            number is not None and _placed_within(bought.get(by_order_number.get(number), none), at, at + window_s)
        )
        tally = counts.setdefault(row[0] if key is not None else None, [0, 0])
        tally[0] += 1
        tally[1] += hit
    for k, (buyers, converted) in counts.items():
        total.buyers += buyers
        total.converted += converted
        if key is not None:
            groups[k] = Converted(buyers, converted)
    return total, groups


def _placed_within(ordered: List[float], start: float, end: float) -> bool:
    i = bisect_left(ordered, start)
    return i < len(ordered) and ordered[i] <= end


def _utc(t: float) -> datetime:
    """Unix seconds as the shop's naive UTC."""
    return datetime.fromtimestamp(t, timezone.utc).replace(tzinfo=None)


def _unix(t: datetime) -> float:
    return t.replace(tzinfo=timezone.utc).timestamp()
