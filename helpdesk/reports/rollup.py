"""Daily rollups of the report figures, so that a long period (more than shop.yml reports.exact_days) reads a few
hundred rows instead of a year of handoffs and events.

A settled day (older than reports.settle_days, and past its conversion window: its handoffs are resolved and
rated, its buyers have had their time to order) is rolled up once into report_days (helpdesk/record/models.py):
per hour (dim "hour"), for the whole day ("all") and per agent, category, channel and language, the counts and sums
figures.Tally holds, the agents' messages per agent (distinct agent-days), and log-scale histograms of the first
response, resolution and response times. The pieces are counted by figures.py's own queries, over the day, with
a group key that also holds the day and hour: the rollups count what the exact report counts.

Every count, sum, average and rate read from the rollups equals the exact one; a percentile is read from its
histogram (buckets 2^(k/4) s wide, each value read as its bucket's geometric middle), within MAX_ERROR of the exact
percentile_cont. The helpdesk sweeper rolls up a few settled days per tick (lease-guarded); report() rolls up any
settled day of its period still missing, so a report never depends on the sweeper having run. The days not yet
settled are counted by the same queries at report time, not stored.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import chain
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import String, case, cast, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import ColumnElement

from helpdesk.record.models import Conversation, Handoff, ReportDay, ReportDayDone
from helpdesk.reports import figures
from helpdesk.reports.conversion import Converted, OrderLookup, conversions
from helpdesk.reports.figures import Keys, Tally
from helpdesk.reports.local_time import DAY_S, EPOCH, LocalTime
from helpdesk.reports.period import MAX_DAYS, Period
from shop.config import ShopConfig

PER_DOUBLING = 4  # histogram buckets per doubling of a time: bucket k holds [2^(k/4), 2^((k+1)/4)) s
ZERO = -1_000_000  # the bucket of times <= 0 (read as 0)
MAX_ERROR = 2 ** (1 / (2 * PER_DOUBLING)) - 1  # 9.05%: a bucket's middle is this close to any of its values
HOUR, ALL = "hour", "all"  # per hour of a day; the whole day (derived from the hours)
DIMS = ("agent", "category", "channel", "language")  # each per day
WHOLE_DAY = -1  # the hour of a row that holds a whole day
SEP = "\x1f"  # between the parts of a group key (no label holds a control character)
BATCH_DAYS = 31  # days counted by one set of queries when many are rolled up at once
VERSION = 2  # of what a row holds: a change rolls every day up again (2: agent_days)

Row = Tuple[int, int, str, str]  # (day, hour, dim, key)


def bucket(seconds: float) -> int:
    return ZERO if seconds <= 0 else math.floor(math.log2(seconds) * PER_DOUBLING)


def bucket_value(k: int) -> float:
    return 0.0 if k == ZERO else 2 ** ((k + 0.5) / PER_DOUBLING)


def hist_percentile(hist: Dict[int, int], p: float) -> Optional[float]:
    """percentile_cont(p) (percentiles.interpolated) of the values the histogram counted, each read as its
    bucket's middle: each of the two values interpolated is within MAX_ERROR, so their interpolation is too."""
    n = sum(hist.values())
    if not n:
        return None
    rank = p * (n - 1)
    low = math.floor(rank)
    high = min(low + 1, n - 1)
    ordered = sorted(hist.items())

    def value(i: int) -> float:
        seen = 0
        for k, count in ordered:
            seen += count
            if i < seen:
                return bucket_value(k)
        return bucket_value(ordered[-1][0])

    v_low, v_high = value(low), value(high)
    return v_low + (v_high - v_low) * (rank - low)


@dataclass
class Piece:
    """What one report_days row holds (or a sum of rows)."""

    tally: Tally = field(default_factory=Tally)  # counts and sums; its percentiles stay None
    waits: int = 0
    wait_sum: float = 0.0
    frt: Counter = field(default_factory=Counter)  # histograms: bucket -> values
    took: Counter = field(default_factory=Counter)
    wait: Counter = field(default_factory=Counter)
    agents: Counter = field(default_factory=Counter)  # agent -> messages
    buyers: Optional[int] = 0  # None: unknown (the shop could not list its orders)
    converted: Optional[int] = 0

    def add(self, other: "Piece", agents: bool = True) -> None:
        self.tally.add(other.tally)
        self.waits += other.waits
        self.wait_sum += other.wait_sum
        self.frt.update(other.frt)
        self.took.update(other.took)
        self.wait.update(other.wait)
        if agents:
            self.agents.update(other.agents)
        if self.buyers is None or other.buyers is None:
            self.buyers = self.converted = None
        else:
            self.buyers += other.buyers
            self.converted += other.converted

    def figures_tally(self, agent_days: int) -> Tally:
        t = Tally(**{name: getattr(self.tally, name) for name in Tally.ADDITIVE})
        t.reasons, t.within, t.agent_days = dict(self.tally.reasons), dict(self.tally.within), agent_days
        t.frt_p50, t.frt_p90 = hist_percentile(self.frt, 0.5), hist_percentile(self.frt, 0.9)
        t.resolution_p50 = hist_percentile(self.took, 0.5)
        t.response_avg = self.wait_sum / self.waits if self.waits else None
        t.response_p90 = hist_percentile(self.wait, 0.9)
        return t

    def as_row(self, row: Row) -> Dict[str, Any]:
        t = self.tally
        day, hour, dim, key = row
        counts = {name: getattr(t, name) for name in Tally.ADDITIVE}
        return dict(day=day, hour=hour, dim=dim, key=key, **counts, reasons=_json(t.reasons), within=_json(t.within),
                    waits=self.waits, wait_sum=self.wait_sum, agents=_json(self.agents),
                    agent_days=len(self.agents), frt_hist=_json(self.frt),
                    took_hist=_json(self.took), wait_hist=_json(self.wait), buyers=self.buyers,
                    converted=self.converted)  # fmt: skip


NUMBERS = (*Tally.ADDITIVE, "waits", "wait_sum", "agent_days", "buyers", "converted")  # summed (None: unknown)
MAPS = ("reasons", "within", "frt_hist", "took_hist", "wait_hist")  # JSON {key: count}, summed per key


class Sum:
    """The sum of report_days rows (as mappings: stored ones, or Piece.as_row of the days counted now), kept raw
    while it is summed: a year by agent is 10,000 rows."""

    __slots__ = ("numbers", "maps")

    def __init__(self) -> None:
        self.numbers: List[Any] = [0] * len(NUMBERS)
        self.maps: List[Dict[str, int]] = [{} for _ in MAPS]

    def add(self, row: Any) -> None:
        numbers = self.numbers
        for i, name in enumerate(NUMBERS):
            v = row[name]
            numbers[i] = None if v is None or numbers[i] is None else numbers[i] + v
        for m, name in zip(self.maps, MAPS, strict=True):
            text = row[name]
            if text != "{}":
                for k, n in json.loads(text).items():
                    m[k] = m.get(k, 0) + n

    def piece(self) -> Tuple[Piece, int]:
        """(the sum as a piece, its agent-days)."""
        n = dict(zip(NUMBERS, self.numbers, strict=True))
        reasons, within, frt, took, wait = self.maps
        t = Tally(**{name: n[name] for name in Tally.ADDITIVE})
        t.reasons, t.within = dict(reasons), {int(s): c for s, c in within.items()}
        p = Piece(t, n["waits"], n["wait_sum"], _hist(frt), _hist(took), _hist(wait), Counter(), n["buyers"],
                  n["converted"])  # fmt: skip
        return p, n["agent_days"]


def _json(d: Dict[Any, Any]) -> str:
    return json.dumps({str(k): v for k, v in d.items()}, separators=(",", ":"))


def _hist(counts: Dict[str, int]) -> Counter:
    return Counter({int(k): n for k, n in counts.items()})


class DayKeys(Keys):
    """figures.Keys whose group also holds the local day (and hour, for dim "hour"): one set of queries counts
    every day of a batch."""

    def _of(self, at: ColumnElement, label: Optional[ColumnElement]) -> ColumnElement:
        day = self.local.day(at)
        if self.by == HOUR:
            return day * 24 + self.local.hour(at)
        return cast(day, String) + SEP + figures.text_key(label)

    def row(self, raw: Any) -> Row:
        if self.by == HOUR:
            day, hour = divmod(int(raw), 24)
            return day, hour, HOUR, ""
        day, key = str(raw).split(SEP, 1)
        return int(day), WHOLE_DAY, self.by, key


# -- counting days --------------------------------------------------------------------------------------------------
def count_days(session: Session, cfg: ShopConfig, period: Period, dims: Iterable[str],
               orders: Optional[OrderLookup]) -> Dict[Row, Piece]:  # fmt: skip
    """The pieces of every day of the period, per dim (HOUR, which gives ALL too, and any of DIMS)."""
    local = LocalTime(period, session.get_bind().dialect.name)
    fast = list(cfg.reports.fast_reply_s)
    pieces: Dict[Row, Piece] = {}
    for dim in dims:
        keys = DayKeys(dim, local)

        def piece(raw: Any, keys: DayKeys = keys) -> Piece:
            return pieces.setdefault(keys.row(raw), Piece())

        def group(raw: Any, piece=piece) -> Tally:  # noqa: ANN001
            return piece(raw).tally

        scratch = Tally()  # the queries add to a total too: not needed here
        figures.conversation_figures(session, period, keys.conversation(), scratch, group)
        figures.handoff_counts(session, period, keys.handoff(), fast, scratch, group)
        figures.timer_figures(session, period, keys, scratch, group)
        frt, took, in_period = figures.handoff_times(period)
        for raw, k, n, _ in _histogram(session, keys.handoff(), frt, Handoff, in_period):
            piece(raw).frt[k] += n
        for raw, k, n, _ in _histogram(session, keys.handoff(), took, Handoff, in_period):
            piece(raw).took[k] += n
        wait, source, where = figures.waits(keys, period)
        for raw, k, n, total in _histogram(session, keys.event(), wait, source, where):
            p = piece(raw)
            p.wait[k] += n
            p.waits += n
            p.wait_sum += total
        for raw, agent, _day, n in figures.message_rows(session, period, local, keys):
            p = piece(raw)
            p.tally.messages += n
            p.agents[agent] += n
    _conversion(session, cfg, period, local, [d for d in dims if d != "agent"], orders, pieces)
    for (day, _hour, dim, _), p in list(pieces.items()):
        if dim == HOUR:
            pieces.setdefault((day, WHOLE_DAY, ALL, ""), Piece()).add(p)
    return pieces


def _histogram(session: Session, key: ColumnElement, value: ColumnElement, source: Any,
               where: Iterable[ColumnElement]) -> List[Tuple[Any, int, int, float]]:  # fmt: skip
    """(group key, bucket, values, their sum) of the non-null values. PostgreSQL buckets them in the query; SQLite
    (whose log functions are a build option) hands the values over to be bucketed here."""
    where = (*where, value.is_not(None))
    if session.get_bind().dialect.name == "postgresql":
        k = case((value <= 0, ZERO), else_=func.floor(func.ln(value) * (PER_DOUBLING / math.log(2))))
        rows = session.connection().execute(
            select(key.label("k"), k, func.count(), func.sum(value)).select_from(source).where(*where).group_by(key, k)
        )
        return [(raw, int(b), n, float(s)) for raw, b, n, s in rows]
    counts: Dict[Tuple[Any, int], List[float]] = {}
    for raw, v in session.connection().execute(select(key.label("k"), value).select_from(source).where(*where)):
        c = counts.setdefault((raw, bucket(float(v))), [0, 0.0])
        c[0] += 1
        c[1] += float(v)
    return [(raw, b, int(n), s) for (raw, b), (n, s) in counts.items()]


def _conversion(session: Session, cfg: ShopConfig, period: Period, local: LocalTime, dims: List[str],
                orders: Optional[OrderLookup], pieces: Dict[Row, Piece]) -> None:  # fmt: skip
    """buyers and converted of each conversation dim's pieces, from one read of the shop's orders (the group key
    holds the day, hour, category, channel and language of a conversation)."""
    if not dims:
        return
    at = Conversation.started_at
    day = local.day(at)
    key = cast(day * 24 + local.hour(at), String)
    for label in ("category", "channel", "language"):
        key = key + SEP + func.coalesce(getattr(Conversation, label), "")
    found = conversions(session, key, period, cfg.reports.conversion_hours, orders)
    if found is None:
        for p in pieces.values():
            p.buyers = p.converted = None
        return
    for raw, c in found[1].items():
        day_hour, category, channel, language = str(raw).split(SEP)
        d, h = divmod(int(day_hour), 24)
        labels = {"category": category, "channel": channel, "language": language}
        for dim in dims:
            row = (d, h, HOUR, "") if dim == HOUR else (d, WHOLE_DAY, dim, labels[dim])
            p = pieces.setdefault(row, Piece())
            p.buyers += c.buyers
            p.converted += c.converted


# -- which days, and writing them -----------------------------------------------------------------------------------
def signature(cfg: ShopConfig) -> str:
    """What a day's rows depend on beyond the record: rows made under other settings are made again."""
    r = cfg.reports
    return f"v{VERSION}|{cfg.shop.timezone}|{sorted(r.fast_reply_s)}|{r.conversion_hours}"


def last_settled(cfg: ShopConfig, now: float) -> date:
    """The newest settled local day: settle_days (and the conversion window) have passed since its end."""
    wait_s = max(cfg.reports.settle_days * DAY_S, cfg.reports.conversion_hours * 3600)
    return datetime.fromtimestamp(now - wait_s, ZoneInfo(cfg.shop.timezone)).date() - timedelta(days=1)


def _number(d: date) -> int:
    return (d - EPOCH).days


def _date(n: int) -> date:
    return EPOCH + timedelta(days=n)


def missing_days(session: Session, cfg: ShopConfig, first: date, last: date, conversion: bool) -> List[date]:
    """The days first..last not rolled up under the current settings (or, conversion True, rolled up while the
    shop could not list its orders)."""
    sig = signature(cfg)
    done = {
        day: converted
        for day, s, converted in session.execute(
            select(ReportDayDone.day, ReportDayDone.signature, ReportDayDone.conversion).where(
                ReportDayDone.day >= _number(first), ReportDayDone.day <= _number(last)
            )
        )
        if s == sig
    }
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [d for d in days if _number(d) not in done or (conversion and not done[_number(d)])]


def roll_up(record: sessionmaker, cfg: ShopConfig, days: List[date], orders: Optional[OrderLookup],
            now: Optional[float] = None) -> int:  # fmt: skip
    """Count and store these (settled) days, each replaced whole in one transaction; returns the days written."""
    now = time.time() if now is None else now
    tz = ZoneInfo(cfg.shop.timezone)
    written = 0
    for batch in _batches(sorted(days)):
        with figures.reading(record) as session:
            pieces = count_days(session, cfg, Period(batch[0], batch[-1], tz), (HOUR, *DIMS), orders)
        by_day: Dict[int, List[Dict[str, Any]]] = {_number(d): [] for d in batch}
        for row, p in pieces.items():
            if row[0] in by_day:
                by_day[row[0]].append(p.as_row(row))
        known = orders is not None and all(p.buyers is not None for p in pieces.values())
        for day, rows in by_day.items():
            written += _write_day(record, day, rows, signature(cfg), known, now)
    return written


def _batches(days: List[date]) -> Iterable[List[date]]:
    """Runs of consecutive days, at most BATCH_DAYS long."""
    run: List[date] = []
    for d in days:
        if run and (d - run[-1] != timedelta(days=1) or len(run) == BATCH_DAYS):
            yield run
            run = []
        run.append(d)
    if run:
        yield run


def _write_day(record: sessionmaker, day: int, rows: List[Dict[str, Any]], sig: str, conversion: bool,
               now: float) -> int:  # fmt: skip
    session = record()
    try:
        with session.begin():
            session.execute(delete(ReportDay).where(ReportDay.day == day))
            session.execute(delete(ReportDayDone).where(ReportDayDone.day == day))
            if rows:
                session.execute(insert(ReportDay), rows)
            session.execute(insert(ReportDayDone), [dict(day=day, signature=sig, conversion=conversion, at=now)])
        return 1
    except IntegrityError:  # another process rolled the same day up at the same moment: its rows stand
        return 0
    finally:
        session.close()


def roll_up_settled(record: sessionmaker, cfg: ShopConfig, now: float, orders: Optional[OrderLookup],
                    limit: int) -> int:  # fmt: skip
    """The sweeper's job: up to `limit` of the newest settled days not rolled up yet, back to the record's first day
    (at most a longest period back: an older one is rolled up when a report asks for it)."""
    settled = last_settled(cfg, now)
    with figures.reading(record) as session:
        starts = [session.execute(select(func.min(c))).scalar() for c in (Conversation.started_at, Handoff.created_at)]
        starts = [s for s in starts if s is not None]
        if not starts:
            return 0
        first = max(datetime.fromtimestamp(min(starts), ZoneInfo(cfg.shop.timezone)).date(),
                    settled - timedelta(days=MAX_DAYS - 1))  # fmt: skip
        if first > settled:
            return 0
        todo = missing_days(session, cfg, first, settled, conversion=False)
    return roll_up(record, cfg, todo[-limit:], orders, now) if todo else 0


# -- a long period's report -----------------------------------------------------------------------------------------
def report(record: sessionmaker, cfg: ShopConfig, period: Period, group_by: str, orders: Optional[OrderLookup],
           now: Optional[float] = None) -> Dict[str, Any]:  # fmt: skip
    """report.report's answer for a long period: its settled days from the rollups (rolled up now if missing),
    the others counted by the same queries now."""
    now = time.time() if now is None else now
    settled = last_settled(cfg, now)
    stored_last = min(period.last, settled)
    dims = [ALL] + ([HOUR] if group_by == HOUR else []) + ([group_by] if group_by in DIMS else [])

    def count_recent(first: date) -> List[Dict[str, Any]]:
        with figures.reading(record) as session:
            dims_now = [HOUR] + ([group_by] if group_by in DIMS else [])
            counted = count_days(session, cfg, Period(first, period.last, period.tz), dims_now, orders)
        return [p.as_row(row) for row, p in counted.items() if row[2] in dims]

    stored: List[Any] = []  # mappings of report_days' columns
    with ThreadPoolExecutor(max_workers=1) as beside:
        # the recent days are counted by the database meanwhile the stored ones are summed here
        recent = None
        if stored_last < period.last:
            recent = beside.submit(count_recent, max(period.first, stored_last + timedelta(days=1)))
        if period.first <= stored_last:
            with figures.reading(record) as session:
                todo = missing_days(session, cfg, period.first, stored_last, conversion=orders is not None)
            roll_up(record, cfg, todo, orders, now)
            with figures.reading(record) as session:
                days = (ReportDay.day >= _number(period.first), ReportDay.day <= _number(stored_last))
                columns = [getattr(ReportDay, name) for name in ("day", "hour", "dim", "key", *NUMBERS, *MAPS)]
                query = select(*columns).where(*days, ReportDay.dim.in_(dims))
                stored = session.connection().execute(query).mappings().all()

        def recent_rows() -> Iterator[Dict[str, Any]]:
            yield from recent.result() if recent is not None else []

        return _figures(cfg, period, group_by, chain(stored, recent_rows()), orders is not None)


def _figures(cfg: ShopConfig, period: Period, group_by: str, rows: Iterable[Any],
             conversion: bool) -> Dict[str, Any]:  # fmt: skip
    """The report of the rows: the whole days' for the totals (and the days), the group_by's for the groups. An
    agent-day is one (agent, day) with a message: each row's agent_days are its own."""
    fast = list(cfg.reports.fast_reply_s)
    whole, sums = Sum(), {}
    for row in rows:
        day, hour, dim, key = row["day"], row["hour"], row["dim"], row["key"]
        if dim == ALL:
            whole.add(row)
        if group_by == "day" and dim == ALL:
            raw: Any = day
        elif group_by == HOUR and dim == HOUR:
            raw = hour
        elif dim == group_by:
            raw = key
        else:
            continue
        found = sums.get(raw)
        if found is None:
            found = sums[raw] = Sum()
        found.add(row)
    total, total_days = whole.piece()
    groups = {raw: s.piece() for raw, s in sums.items()}
    if not conversion:
        total.buyers = None

    def converted(p: Piece) -> Optional[Converted]:
        return None if total.buyers is None or p.buyers is None else Converted(p.buyers, p.converted)

    keys = Keys(group_by, LocalTime(period, "sqlite"))  # for the groups' names only
    by_conversation = group_by != "agent"
    return {
        "period": period.as_dict(),
        "group_by": group_by,
        "totals": total.figures_tally(total_days).figures(fast, True, converted(total)),
        "groups": [
            {"key": name, **_group(groups.get(raw, (Piece(), 0)), fast, by_conversation, converted)}
            for name, raw in figures.group_names(keys, period, groups)
        ],
    }  # fmt: skip


def _group(found: Tuple[Piece, int], fast: List[int], by_conversation: bool,
           converted: Callable[[Piece], Optional[Converted]]) -> Dict[str, Any]:  # fmt: skip
    piece, agent_days = found
    return piece.figures_tally(agent_days).figures(fast, by_conversation, converted(piece))
