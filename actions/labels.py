"""Short customer-facing words (order and carrier states, return kinds) in both languages; money and dates.

Whole sentences live in the domain's responses; these are the words the actions put into them. The
catalog's own words (colours, categories, product names) come from the catalog and shop.yml, never from here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Dict, Iterable

_LABELS: Dict[str, Dict[str, str]] = {
    # order states
    "unpaid": {"en": "awaiting payment", "zh": "待付款"},
    "paid": {"en": "paid, not yet shipped", "zh": "已付款待发货"},
    "shipped": {"en": "shipped", "zh": "已发货"},
    "delivered": {"en": "delivered", "zh": "已签收"},
    "cancelled": {"en": "cancelled", "zh": "已取消"},
    "return_requested": {"en": "return requested", "zh": "退货申请中"},
    "refunded": {"en": "refunded", "zh": "已退款"},
    # carrier states
    "picked_up": {"en": "picked up by the carrier", "zh": "快递已揽收"},
    "in_transit": {"en": "in transit", "zh": "运输中"},
    "out_for_delivery": {"en": "out for delivery", "zh": "派送中"},
    "exception": {"en": "delivery problem", "zh": "配送异常"},
    # return kinds
    "return": {"en": "return", "zh": "退货"},
    "exchange": {"en": "exchange", "zh": "换货"},
    # who pays return shipping
    "shop": {"en": "we pay", "zh": "由我们承担"},
    "buyer": {"en": "you pay", "zh": "由买家承担"},
    "quality_issue": {"en": "quality issues", "zh": "质量问题"},
    "other": {"en": "other reasons", "zh": "其他原因"},
}


def label(key: str, lang: str) -> str:
    """The word for a state key; the key itself if there is none."""
    entry = _LABELS.get(key)
    return entry["zh" if lang == "zh" else "en"] if entry else key


def join(items: Iterable[str], lang: str) -> str:
    items = list(items)
    if lang == "zh":
        return "、".join(items)
    return ", ".join(items)


def fmt_date(value: datetime | None, pattern: str) -> str:
    """A date by a shop.yml formats.date pattern (strftime); "-" when there is none."""
    return "-" if value is None else value.strftime(pattern)


def fmt_time(value: datetime | None, pattern: str) -> str:
    return "-" if value is None else f"{fmt_date(value, pattern)} {value:%H:%M}"


# currency -> (symbol before the amount, decimals); others are written "12.50 XYZ"
CURRENCIES = {"USD": ("$", 2), "CNY": ("¥", 2), "EUR": ("€", 2), "GBP": ("£", 2), "JPY": ("¥", 0),
              "CAD": ("CA$", 2), "AUD": ("A$", 2), "HKD": ("HK$", 2), "SGD": ("S$", 2)}  # fmt: skip


def money(amount: float, currency: str) -> str:
    symbol, decimals = CURRENCIES.get(currency, ("", 2))
    number = f"{amount:,.{decimals}f}"
    return f"{symbol}{number}" if symbol else f"{number} {currency}"
