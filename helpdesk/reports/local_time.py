"""The shop's local day and hour of a Unix time, computed inside the SQL query (SQLite has no time zones).

Over a period the shop's UTC offset is piecewise constant: one piece, or a few around daylight-saving changes.
The query adds the offset of the piece a time falls in and divides: the same arithmetic on SQLite and PostgreSQL,
so both group a row into the same day and hour as Python's zoneinfo does.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import List, Tuple

from sqlalchemy import BigInteger, Integer, case, cast, func
from sqlalchemy.sql import ColumnElement

from helpdesk.reports.period import Period

DAY_S = 86_400
HOUR_S = 3_600
EPOCH = date(1970, 1, 1)


def offset_pieces(period: Period) -> List[Tuple[float, int]]:
    """(from, UTC offset in s) for each stretch of [period.start, period.end) with one offset, in order."""
    tz = period.tz

    def offset(t: float) -> int:
        return int(datetime.fromtimestamp(t, tz).utcoffset().total_seconds())

    start, end = int(period.start), int(period.end)
    pieces = [(float(start), offset(start))]
    t = start
    while t < end:
        step = min(t + DAY_S, end)  # offsets change months apart: a day never holds two changes
        if offset(step) != pieces[-1][1]:
            low, high = t, step  # offset(low) is the old one, offset(high) the new: find the first new second
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == pieces[-1][1] else (low, middle)
            pieces.append((float(high), offset(high)))
        t = step
    return pieces


class LocalTime:
    """SQL expressions for the shop's local day (days since 1970-01-01) and hour of day (0-23) of a time column."""

    def __init__(self, period: Period, dialect: str) -> None:
        self.pieces = offset_pieces(period)
        self.dialect = dialect

    def _local_seconds(self, t: ColumnElement) -> ColumnElement:
        if len(self.pieces) == 1:
            return t + self.pieces[0][1]
        # a time before the next piece begins has this piece's offset
        pieces = zip(self.pieces[:-1], self.pieces[1:], strict=True)
        whens = [(t < begins, t + offset) for (_, offset), (begins, _) in pieces]
        return case(*whens, else_=t + self.pieces[-1][1])

    def _floor(self, x: ColumnElement) -> ColumnElement:
        # SQLite has no floor() without its math extension; its integer cast truncates, which is the floor of
        # the positive numbers Unix times are. PostgreSQL's cast rounds, hence floor() first.
        if self.dialect == "sqlite":
            return cast(x, Integer)
        return cast(func.floor(x), BigInteger)

    def day(self, t: ColumnElement) -> ColumnElement:
        return self._floor(self._local_seconds(t) / DAY_S)

    def hour(self, t: ColumnElement) -> ColumnElement:
        return self._floor(self._local_seconds(t) / HOUR_S) % 24


def day_name(day: int) -> str:
    """A day number from LocalTime.day as YYYY-MM-DD."""
    return (EPOCH + timedelta(days=int(day))).isoformat()


def hour_name(hour: int) -> str:
    return f"{int(hour):02d}"
