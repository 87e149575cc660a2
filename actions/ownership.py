"""Proof that an order belongs to the person asking. Nothing about an order is said before it."""

from __future__ import annotations

import re
from typing import Optional

from rasa_sdk import Tracker

from actions.context import verified_customer_id
from actions.repository import OrderView


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def phone_matches(given: str, on_file: str) -> bool:
    a, b = _digits(given), _digits(on_file)
    if len(a) < 7 or len(b) < 7:
        return False
    # "+1 415 555 0132" and "415-555-0132" are the same phone
    return a == b or (min(len(a), len(b)) >= 10 and a[-10:] == b[-10:])


def email_matches(given: str, on_file: str) -> bool:
    return bool(given) and given.strip().lower() == on_file.strip().lower()


def contact_matches(order: OrderView, email: Optional[str], phone: Optional[str]) -> bool:
    return bool(
        (email and email_matches(email, order.customer_email)) or (phone and phone_matches(phone, order.customer_phone))
    )


def already_proven(order: OrderView, tracker: Tracker) -> bool:
    """True if this conversation proved ownership earlier or comes from the buyer's verified account."""
    if order.number in (tracker.get_slot("verified_orders") or []):
        return True
    cid = verified_customer_id(tracker)
    return bool(cid and order.customer_channel_id == cid)
