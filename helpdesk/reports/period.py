"""A report's period: whole days of the shop's time zone (shop.yml shop.timezone), given as ?from=&to= dates.

`to` is inclusive (from=2026-11-01&to=2026-11-30 is November); without them, the last 7 days up to today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

DEFAULT_DAYS = 7
MAX_DAYS = 366


class PeriodError(ValueError):
    """from/to are not dates, or in the wrong order, or too far apart."""


@dataclass(frozen=True)
class Period:
    first: date  # the first day, inclusive
    last: date  # the last day, inclusive
    tz: ZoneInfo

    @property
    def start(self) -> float:
        """Unix seconds at the start of the first day."""
        return datetime.combine(self.first, time(), self.tz).timestamp()

    @property
    def end(self) -> float:
        """Unix seconds at the end of the last day (exclusive)."""
        return datetime.combine(self.last + timedelta(days=1), time(), self.tz).timestamp()

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def as_dict(self) -> dict:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "timezone": self.tz.key}


def parse_period(given_from: Optional[str], given_to: Optional[str], tz: ZoneInfo, now: float) -> Period:
    """The period ?from=&to= name (YYYY-MM-DD); a missing end is today, a missing start 7 days before the end."""
    today = datetime.fromtimestamp(now, tz).date()
    last = _day(given_to, "to") if given_to else today
    first = _day(given_from, "from") if given_from else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise PeriodError("'from' is after 'to'")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(f"a report covers at most {MAX_DAYS} days")
    return Period(first, last, tz)


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"'{name}' must be a date such as 2026-11-30, not {text[:40]!r}") from None
