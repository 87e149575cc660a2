"""Short customer-facing words (states, colours, categories) in both languages.

Whole sentences live in the domain's responses; these are the words the actions put into them.
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
    # colours
    "black": {"en": "black", "zh": "黑色"},
    "white": {"en": "white", "zh": "白色"},
    "red": {"en": "red", "zh": "红色"},
    "navy": {"en": "navy", "zh": "藏青色"},
    "beige": {"en": "beige", "zh": "米色"},
    "pink": {"en": "pink", "zh": "粉色"},
    "green": {"en": "green", "zh": "绿色"},
    "blue": {"en": "blue", "zh": "蓝色"},
    "grey": {"en": "grey", "zh": "灰色"},
    # catalog categories
    "tops": {"en": "tops", "zh": "上衣"},
    "dresses": {"en": "dresses", "zh": "连衣裙"},
    "bottoms": {"en": "bottoms", "zh": "裤装/半身裙"},
    "knitwear": {"en": "knitwear", "zh": "针织"},
    "outerwear": {"en": "outerwear", "zh": "外套"},
    "shoes": {"en": "shoes", "zh": "鞋"},
    "accessories": {"en": "accessories", "zh": "配饰"},
    "underwear": {"en": "underwear", "zh": "内衣"},
    "bags": {"en": "bags", "zh": "包袋"},
    # who pays return shipping
    "shop": {"en": "we pay", "zh": "由我们承担"},
    "buyer": {"en": "you pay", "zh": "由买家承担"},
    "quality_issue": {"en": "quality issues", "zh": "质量问题"},
    "other": {"en": "other reasons", "zh": "其他原因"},
}

COLOURS = ("black", "white", "red", "navy", "beige", "pink", "green", "blue", "grey")

# words buyers use for a colour -> the catalog's key
COLOUR_WORDS = {
    **{_LABELS[k][lang]: k for k in COLOURS for lang in ("en", "zh")},
    "gray": "grey",
    "dark blue": "navy",
    "navy blue": "navy",
    "cream": "beige",
    "黑": "black",
    "白": "white",
    "红": "red",
    "粉": "pink",
    "绿": "green",
    "蓝": "blue",
    "灰": "grey",
    "米白": "beige",
    "深蓝": "navy",
    "深蓝色": "navy",
    "藏青": "navy",
}


def label(key: str, lang: str) -> str:
    """The word for a state/colour/category key; the key itself if there is none."""
    entry = _LABELS.get(key)
    return entry["zh" if lang == "zh" else "en"] if entry else key


def join(items: Iterable[str], lang: str) -> str:
    items = list(items)
    if lang == "zh":
        return "、".join(items)
    return ", ".join(items)


def fmt_date(value: datetime | None, lang: str) -> str:
    if value is None:
        return "-"
    return f"{value.month}月{value.day}日" if lang == "zh" else value.strftime("%b %-d")


def fmt_time(value: datetime | None, lang: str) -> str:
    if value is None:
        return "-"
    return f"{fmt_date(value, lang)} {value:%H:%M}"


def money(amount: float, currency: str = "USD") -> str:
    return f"${amount:,.2f}" if currency == "USD" else f"{amount:,.2f} {currency}"
