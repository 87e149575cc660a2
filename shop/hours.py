"""Business hours (shop.yml business_hours, in shop.timezone): open now? when next?"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from shop.config import WEEKDAYS, BusinessHours

_DAY_NAMES = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
}


def _minutes(hhmm: str) -> int:
    hh, mm = hhmm.split(":")
    return int(hh) * 60 + int(mm)


def local_time(ts: float, timezone: str) -> datetime:
    return datetime.fromtimestamp(ts, ZoneInfo(timezone))


def is_open(ts: float, hours: BusinessHours, timezone: str) -> bool:
    now = local_time(ts, timezone)
    minute = now.hour * 60 + now.minute
    return WEEKDAYS[now.weekday()] in hours.days and _minutes(hours.open) <= minute < _minutes(hours.close)


def next_opening(ts: float, hours: BusinessHours, timezone: str) -> Optional[datetime]:
    """The next time the shop opens after ts (local time); None if it never opens."""
    now = local_time(ts, timezone)
    opening = _minutes(hours.open)
    for days_ahead in range(8):
        day = now + timedelta(days=days_ahead)
        day = day.replace(hour=opening // 60, minute=opening % 60, second=0, microsecond=0)
        if WEEKDAYS[day.weekday()] in hours.days and day > now:
            return day
    return None


def describe_opening(opens: datetime, ts: float, lang: str) -> str:
    """'today at 09:00' / 'tomorrow at 09:00' / 'on Monday at 09:00' (zh: 今天 09:00, 明天 09:00, 周一 09:00)."""
    days = (opens.date() - local_time(ts, str(opens.tzinfo)).date()).days
    clock = opens.strftime("%H:%M")
    if lang == "zh":
        word = {0: "今天", 1: "明天"}.get(days, _DAY_NAMES["zh"][opens.weekday()])
        return f"{word} {clock}"
    word = {0: "today", 1: "tomorrow"}.get(days, f"on {_DAY_NAMES['en'][opens.weekday()]}")
    return f"{word} at {clock}"
