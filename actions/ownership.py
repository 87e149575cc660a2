"""Proof that an order belongs to the person asking. Nothing about an order is said before it."""

from __future__ import annotations

from typing import Optional

from actions.context import Turn
from shop.parsing import email_matches, phone_matches
from shop.store import OrderView


def contact_matches(order: OrderView, email: Optional[str], phone: Optional[str]) -> bool:
    return bool(
        (email and email_matches(email, order.customer_email)) or (phone and phone_matches(phone, order.customer_phone))
    )


def already_proven(order: OrderView, turn: Turn) -> bool:
    """True if this conversation proved ownership earlier or comes from the buyer's verified account."""
    if order.number in (turn.slot("verified_orders") or []):
        return True
    cid = turn.verified_customer
    return bool(cid and order.customer_channel_id == cid)
