"""Pure helpers that read measurements, ratings and coupon codes out of what buyers type."""

from __future__ import annotations

import re
from typing import Optional

from shop.parsing import Identifiers

_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def parse_height_cm(text: str) -> Optional[float]:
    """170cm, 170 cm, 1.70m, 1米7, 1米65, 一米七, 一米六五, 5'7, 5ft 7in, or a bare 140-199."""
    t = (text or "").lower()
    if m := re.search(r"(\d{3})(?:\.\d)?\s*(?:cm|厘米|公分)", t):
        return float(m.group(1))
    if m := re.search(r"(?<![\d.])1\s*(?:\.|米|m)\s*(\d{1,2})(?!\d)", t):
        rest = m.group(1)
        return 100 + (int(rest) * 10 if len(rest) == 1 else int(rest))
    if m := re.search(r"一米([一二三四五六七八九])([一二三四五六七八九零])?", t):
        return 100 + _ZH_DIGITS[m.group(1)] * 10 + (_ZH_DIGITS[m.group(2)] if m.group(2) else 0)
    if m := re.search(r"\b([4-6])\s*(?:'|’|ft|feet|foot)\s*(\d{1,2})?", t):
        inches = int(m.group(1)) * 12 + int(m.group(2) or 0)
        return round(inches * 2.54)
    if m := re.search(r"(?<![\d.])(1[4-9]\d)(?![\d.]|\s*(?:kg|斤|lb|公斤|千克|磅))", t):
        return float(m.group(1))
    return None


def parse_weight_kg(text: str) -> Optional[float]:
    """60kg, 60 公斤/千克, 120斤 (half a kilo each), 130lbs, 130 pounds."""
    t = (text or "").lower()
    if m := re.search(r"(\d{2,3}(?:\.\d)?)\s*(?:kg|kgs|公斤|千克|kilos?)", t):
        return float(m.group(1))
    if m := re.search(r"(\d{2,3}(?:\.\d)?)\s*斤", t):
        return float(m.group(1)) / 2
    if m := re.search(r"(\d{2,3}(?:\.\d)?)\s*(?:lbs?|pounds?|磅)", t):
        return round(float(m.group(1)) * 0.4536, 1)
    return None


_WORD_RATINGS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
}


def parse_rating(text: str) -> Optional[int]:
    """'5', '4/5', '⭐⭐⭐', 'five stars', '五星', '给3分' -> 1..5; None if no rating is there."""
    t = (text or "").lower()
    stars = t.count("⭐") + t.count("★")
    if 1 <= stars <= 5:
        return stars
    if m := re.search(r"(?<!\d)([1-5])(?:\s*/\s*5)?(?!\d)", t):
        return int(m.group(1))
    for word, value in _WORD_RATINGS.items():
        if re.search(rf"\b{word}\b" if word.isascii() else rf"{word}(?:星|分|颗)", t):
            return value
    return None


def coupon_codes(text: str, ids: Identifiers) -> list[str]:
    """Tokens that look like a coupon code: letters then digits, e.g. SAVE10, welcome15 (not order numbers)."""
    return [
        m.upper()
        for m in re.findall(r"(?<![A-Za-z0-9])([A-Za-z]{3,12}\d{1,3})(?![A-Za-z0-9])", text or "")
        if not ids.is_order_number(m)
    ]
