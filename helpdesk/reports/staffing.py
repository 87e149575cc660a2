"""The staffing forecast (seed 001's 排班): agents needed in each hour of the week, by Erlang C (erlang.py).

Arrivals: the handoffs queued in the last `weeks` whole weeks (the days before today, in the shop's time zone),
per hour of the week, over the hours of history that hour had: `weeks` of them, one less or more where a
daylight-saving change skipped or repeated it. Handle time: the mean of resolved_at - first_assigned_at over
those handoffs that were resolved (timers.default_handle_s when none were). Each hour's agents are the fewest
who answer `share` of the chats within `within_s` seconds, holding up to staffing.chats_per_agent chats each and
never busier than staffing.max_occupancy.

One SQL query reads the record: handoffs counted per quarter of an hour of Unix time (every time zone's offset
is a whole number of quarter hours, so each quarter lies in one local hour), which Python then maps to the
local weekday and hour. Grouping by Unix time works the same on SQLite and PostgreSQL and for any zone,
daylight saving included, where extracting a weekday in SQL would need each database's time-zone support.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any, Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, cast, func, literal_column, select
from sqlalchemy.orm import sessionmaker

from helpdesk.record.models import Handoff
from helpdesk.reports import erlang
from shop.config import WEEKDAYS, ShopConfig

QUARTER_S = 900  # the SQL groups' width: every UTC offset in use is a multiple of it
HOUR_S = 3600

Slot = Tuple[int, int]  # (weekday 0 = Monday, hour 0..23), local


def history_window(tz: ZoneInfo, now: float, weeks: int) -> Tuple[datetime, datetime]:
    """The last `weeks` whole weeks before today: from local midnight weeks*7 days ago to today's midnight."""
    today = datetime.fromtimestamp(now, tz).date()
    first = today - timedelta(days=7 * weeks)
    return datetime.combine(first, time(), tz), datetime.combine(today, time(), tz)


def _quarter(dialect: str):
    """floor(created_at / 900) in SQL. SQLite lacks floor() unless built with its math functions, and its CAST
    truncates (the same, for times after 1970); PostgreSQL's CAST rounds, so it gets floor()."""
    quarters = Handoff.created_at / literal_column(f"{QUARTER_S}.0")
    return cast(quarters, Integer) if dialect == "sqlite" else func.floor(quarters)


def _read(record: sessionmaker, start: float, end: float) -> List[Tuple[int, int, int, float]]:
    """(quarter, handoffs queued in it, of those resolved, their handle seconds summed) per quarter hour."""
    handled = and_(Handoff.resolved_at.isnot(None), Handoff.first_assigned_at.isnot(None))
    with record() as session:
        quarter = _quarter(session.get_bind().dialect.name).label("quarter")
        rows = session.execute(
            select(
                quarter,
                func.count(),
                func.count(case((handled, 1))),
                func.sum(case((handled, Handoff.resolved_at - Handoff.first_assigned_at))),
            )
            .where(Handoff.created_at >= start, Handoff.created_at < end)
            .group_by("quarter")  # by the label: PostgreSQL would not match two copies of the expression
        ).all()
    return [(int(q), int(n), int(resolved), float(total or 0.0)) for q, n, resolved, total in rows]


def _local_slots(tz: ZoneInfo, start: float, end: float) -> Dict[int, Slot]:
    """Each quarter hour of [start, end) -> the local weekday and hour it lies in."""
    return {q: _slot(tz, q) for q in range(int(start) // QUARTER_S, -(-int(end) // QUARTER_S))}


def _slot(tz: ZoneInfo, quarter: int) -> Slot:
    local = datetime.fromtimestamp(quarter * QUARTER_S, tz)
    return local.weekday(), local.hour


def staffing_plan(record: sessionmaker, cfg: ShopConfig, now: float, weeks: int, share: float,
                  within_s: int) -> Dict[str, Any]:  # fmt: skip
    """The forecast for each hour of the week, Monday 0:00 to Sunday 23:00, and its busiest hour."""
    tz = ZoneInfo(cfg.shop.timezone)
    first, end = history_window(tz, now, weeks)
    slots = _local_slots(tz, first.timestamp(), end.timestamp())
    quarters_seen = Counter(slots.values())  # 4 * weeks for each hour, but where the clocks changed
    arrivals: Counter = Counter()
    handled, handle_total, handoffs = 0, 0.0, 0
    for q, n, resolved, total in _read(record, first.timestamp(), end.timestamp()):
        arrivals[slots.get(q) or _slot(tz, q)] += n  # (a time a hair before the end may round up to it)
        handoffs += n
        handled += resolved
        handle_total += total
    measured = handled > 0 and handle_total > 0  # (a record with clocks gone wrong could sum to nothing or less)
    handle_s = handle_total / handled if measured else float(cfg.timers.default_handle_s)
    staffing = cfg.staffing
    hours = []
    for day in range(7):
        for hour in range(24):
            hours_seen = quarters_seen[(day, hour)] * QUARTER_S / HOUR_S
            rate = arrivals[(day, hour)] / hours_seen if hours_seen else 0.0
            hours.append({"day": WEEKDAYS[day], "hour": hour,
                          **_hour_plan(rate, handle_s, share, within_s, staffing.max_occupancy,
                                       staffing.chats_per_agent)})  # fmt: skip
    return {
        "target": {"share": share, "within_s": within_s},
        "weeks": weeks,
        "timezone": tz.key,
        "history": {
            "from": first.date().isoformat(),
            "to": (end.date() - timedelta(days=1)).isoformat(),
            "handoffs": handoffs,
        },
        "chats_per_agent": staffing.chats_per_agent,
        "max_occupancy": staffing.max_occupancy,
        "handle_s": round(handle_s, 1),
        "handle_from": "history" if measured else "default",
        "hours": hours,
        "peak": _peak(hours),
    }


def _hour_plan(rate: float, handle_s: float, share: float, within_s: int, max_occupancy: Optional[float],
               chats_per_agent: int) -> Dict[str, Any]:  # fmt: skip
    """One hour's agents and what they achieve; with no arrivals there is nothing to measure (null)."""
    agents = erlang.agents_needed(rate, handle_s, share, within_s, max_occupancy, chats_per_agent)
    plan: Dict[str, Any] = {"arrivals_per_h": round(rate, 2), "agents": agents, "service_level": None,
                            "asa_s": None, "occupancy": None}  # fmt: skip
    if agents:
        servers = agents * chats_per_agent
        plan["service_level"] = round(erlang.service_level(rate, handle_s, servers, within_s), 3)
        plan["asa_s"] = round(erlang.average_speed_of_answer(rate, handle_s, servers), 1)
        plan["occupancy"] = round(erlang.traffic(rate, handle_s) / servers, 3)
    return plan


def _peak(hours: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The hour that needs the most agents (the most arrivals among those, then the earliest); none without
    arrivals."""
    busiest = max(hours, key=lambda h: (h["agents"], h["arrivals_per_h"]))  # max keeps the first of equals
    if not busiest["agents"]:
        return None
    return {"day": busiest["day"], "hour": busiest["hour"], "agents": busiest["agents"]}
