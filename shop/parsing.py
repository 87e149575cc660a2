"""What identifies a buyer's order and the buyer: order numbers, emails, phones.

Pure functions, used by the NLU components (to normalise what they extract), the actions (the
ownership check) and the evaluation script.
"""

from __future__ import annotations

import re
from typing import Optional

from shop.formats import EMAIL, ORDER_NUMBER, PHONE

_ORDER_NUMBER = re.compile(ORDER_NUMBER)
_EMAIL = re.compile(EMAIL)
_PHONE = re.compile(PHONE)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# a token mixing letters and digits: a coupon (WELCOME10), a tracking number (SF1234567890), a code
_CODE = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z-]*\d)(?=[\d-]*[A-Za-z])[A-Za-z0-9-]{3,}(?![A-Za-z0-9])")


def normalise_order_number(text: str) -> Optional[str]:
    """'#a10293' -> 'A10293'; anything not shaped like an order number -> None."""
    m = _ORDER_NUMBER.search(text or "")
    return f"A{m.group(2)}" if m else None


def is_order_number(token: str) -> bool:
    """True if the whole token is an order number (and so not, say, a coupon code)."""
    return bool(_ORDER_NUMBER.fullmatch(token or ""))


def without_order_numbers(text: str) -> str:
    return _ORDER_NUMBER.sub(" ", text or "")


def without_identifiers(text: str) -> str:
    """The text without links, emails, phones, order numbers and codes: what is left is words."""
    for pattern in (_URL, _EMAIL, _PHONE, _ORDER_NUMBER, _CODE):
        text = pattern.sub(" ", text)
    return text


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
