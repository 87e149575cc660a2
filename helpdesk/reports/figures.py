"""The supervisors' figures over a period (GET /reports): the totals, and the same figures per day, hour, agent,
category, channel or language. README "Reports" defines each figure in one line; this module is where each is
counted, by aggregate queries grouped in SQL, so the work grows with the number of groups, not of rows.

Which rows a figure reads, and which time puts a row in the period (and in a day or hour):
- conversation figures (conversations, containment, handoff_reasons, conversion): the conversations started in
  the period (Conversation.started_at);
- handoff figures (handoffs, FRT, reply rates, resolution, CSAT): the handoffs queued in the period
  (Handoff.created_at), whatever happened to them later; by agent, the agent who got the chat first;
- event figures (response times, agent messages and days, reminders, reassignments): the events of the period
  (HandoffEvent.at); by agent, the agent who answered (or was reminded, or lost the chat to a reassignment).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from sqlalchemy import and_, case, cast, func, literal_column, or_, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import ColumnElement

from helpdesk.record.models import Conversation, Handoff, HandoffEvent
from helpdesk.reports.conversion import Converted, OrderLookup, conversions, its_handoff
from helpdesk.reports.local_time import EPOCH, LocalTime, day_name, hour_name
from helpdesk.reports.percentiles import MEAN, statistics
from helpdesk.reports.period import Period
from shop.config import ShopConfig

GROUP_BY = ("day", "hour", "agent", "category", "channel", "language")
WAITS = ("first_reply", "replied")  # the events whose wait_s is an agent's response time

__all__ = ["GROUP_BY", "OrderLookup", "exact_report"]


def exact_report(record: sessionmaker, cfg: ShopConfig, period: Period, group_by: str,
                 orders: Optional[OrderLookup] = None) -> Dict[str, Any]:  # fmt: skip
    """The figures of the period, in total and per group_by (one of GROUP_BY), counted from the record's rows.
    orders: the shop's orders for the conversion figure (ShopStore.orders_placed); None, or a store that cannot
    list them, makes it null."""
    fast = list(cfg.reports.fast_reply_s)
    with reading(record) as session, ThreadPoolExecutor(max_workers=1) as beside:
        local = LocalTime(period, session.get_bind().dialect.name)
        keys = Keys(group_by, local)
        # conversion waits mostly on the shop's database: it runs on a connection of its own meanwhile
        converting = beside.submit(_conversions, record, keys, period, cfg.reports.conversion_hours, orders)
        totals, groups = _tallies(session, period, local, fast, keys)
        converted = converting.result()
    by_conversation = keys.conversation() is not None  # by agent: the conversation figures are null

    def conversion_of(raw: Any) -> Optional[Converted]:
        return None if converted is None else converted[1].get(raw, Converted())

    return {
        "period": period.as_dict(),
        "group_by": group_by,
        "totals": totals.figures(fast, True, None if converted is None else converted[0]),
        "groups": [
            {"key": name, **groups.get(raw, Tally()).figures(fast, by_conversation, conversion_of(raw))}
            for name, raw in group_names(keys, period, groups)
        ],
    }


@contextmanager
def reading(record: sessionmaker) -> Iterator[Session]:
    session = record()
    try:
        if session.get_bind().dialect.name == "postgresql":
            # each aggregate takes ~0.1 s; compiling it would take half of that, for nothing
            session.connection().execute(text("SET LOCAL jit = off"))
        yield session
    finally:
        session.close()


def _conversions(record: sessionmaker, keys: "Keys", period: Period, hours: float,
                 orders: Optional[OrderLookup]) -> Optional[Tuple[Converted, Dict[Any, Converted]]]:  # fmt: skip
    with reading(record) as session:
        return conversions(session, keys.conversation(), period, hours, orders)


@dataclass
class Tally:
    """What the queries counted for one group, before it is turned into the figures."""

    conversations: int = 0
    contained: int = 0
    reasons: Dict[str, int] = field(default_factory=dict)
    handoffs: int = 0
    within: Dict[int, int] = field(default_factory=dict)  # fast_reply_s -> handoffs first answered that soon
    frt_p50: Optional[float] = None
    frt_p90: Optional[float] = None
    resolved: int = 0
    resolution_p50: Optional[float] = None
    took_sum: float = 0.0  # of the resolved: resolved_at - created_at
    rating_sum: float = 0.0
    ratings: int = 0
    response_avg: Optional[float] = None
    response_p90: Optional[float] = None
    messages: int = 0
    agent_days: int = 0
    reassignments: int = 0
    reminders: int = 0

    ADDITIVE = ("conversations", "contained", "handoffs", "resolved", "took_sum", "rating_sum", "ratings", "messages",
                "reassignments", "reminders")  # fmt: skip

    def add(self, other: "Tally") -> None:
        """Adds the counts and sums of other (of rows this tally did not count); percentiles and agent_days are not
        additive and stay as they are."""
        for name in self.ADDITIVE:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for mine, theirs in ((self.reasons, other.reasons), (self.within, other.within)):
            for k, n in theirs.items():
                mine[k] = mine.get(k, 0) + n

    def figures(self, fast: List[int], by_conversation: bool, converted: Optional[Converted]) -> Dict[str, Any]:
        """The contract's FIGURES; by_conversation False (groups by agent): the conversation figures are null."""
        c = self.conversations
        return {
            "conversations": c if by_conversation else None,
            "handoffs": self.handoffs,
            "containment": _share(self.contained, c) if by_conversation else None,
            "handoff_reasons": {r: {"count": n, "rate": _share(n, c)} for r, n in sorted(self.reasons.items())}
            if by_conversation
            else None,
            "frt_p50_s": _seconds(self.frt_p50),
            "frt_p90_s": _seconds(self.frt_p90),
            "reply_rates": {str(s): _share(self.within.get(s, 0), self.handoffs) for s in fast},
            "response_avg_s": _seconds(self.response_avg),
            "response_p90_s": _seconds(self.response_p90),
            "resolved": self.resolved,
            "resolution_rate": _share(self.resolved, self.handoffs),
            "resolution_p50_s": _seconds(self.resolution_p50),
            "resolution_avg_s": _seconds(self.took_sum / self.resolved) if self.resolved else None,
            "csat_avg": round(self.rating_sum / self.ratings, 2) if self.ratings else None,
            "csat_responses": self.ratings,
            "csat_response_rate": _share(self.ratings, self.resolved),
            "agent_messages": self.messages,
            "agent_days": self.agent_days,
            "messages_per_agent_day": round(self.messages / self.agent_days, 1) if self.agent_days else None,
            "conversion": converted.figures() if converted is not None and by_conversation else None,
            "reassignments": self.reassignments,
            "reminders": self.reminders,
        }


def _share(part: int, whole: Optional[int]) -> Optional[float]:
    return round(part / whole, 3) if whole else None


def _seconds(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(float(value), 1)


class Keys:
    """The SQL expression that puts a row of each table in its group, for one group_by."""

    def __init__(self, by: str, local: LocalTime) -> None:
        self.by, self.local = by, local

    def conversation(self) -> Optional[ColumnElement]:
        """None by agent: a conversation has no agent (its handoff's figures have one)."""
        if self.by == "agent":
            return None
        return self._of(Conversation.started_at, getattr(Conversation, self.by, None))

    def handoff(self) -> ColumnElement:
        agent = Handoff.first_agent  # the agent who got the chat first
        return self._of(Handoff.created_at, agent if self.by == "agent" else getattr(Handoff, self.by, None))

    def event(self, agent: ColumnElement = HandoffEvent.agent) -> ColumnElement:
        """An event's group: its time's, its agent's (or `agent`'s), or its handoff's (joined: joins_handoff)."""
        return self._of(HandoffEvent.at, agent if self.by == "agent" else getattr(Handoff, self.by, None))

    @property
    def joins_handoff(self) -> bool:
        return self.by in ("category", "channel", "language")

    def _of(self, at: ColumnElement, label: Optional[ColumnElement]) -> ColumnElement:
        """The local day or hour of `at`, or the text `label`."""
        if self.by == "day":
            return self.local.day(at)
        if self.by == "hour":
            return self.local.hour(at)
        return text_key(label)

    def name(self, raw: Any) -> str:
        if self.by == "day":
            return day_name(raw)
        if self.by == "hour":
            return hour_name(raw)
        return str(raw)


def text_key(column: ColumnElement) -> ColumnElement:
    """A text key; a missing one (a handoff no agent took) is "" like an empty one."""
    return func.coalesce(column, "")


def group_names(keys: Keys, period: Period, groups: Dict[Any, Tally]) -> List[Tuple[str, Any]]:
    """(name, raw key) of every group shown: every day or hour of the period, else the keys that occur."""
    if keys.by == "day":
        first = (period.first - EPOCH).days
        return [(day_name(d), d) for d in range(first, first + period.days)]
    if keys.by == "hour":
        return [(hour_name(h), h) for h in range(24)]
    return sorted((keys.name(raw), raw) for raw in groups)


# -- the queries: each reads its rows once, grouped; the totals are the groups' sums, or come from the same query ---
Group = Callable[[Any], Tally]  # the tally of a group key (made on first use)


def _tallies(session: Session, period: Period, local: LocalTime, fast: List[int],
             keys: Keys) -> Tuple[Tally, Dict[Any, Tally]]:  # fmt: skip
    """Every figure but conversion: (the totals, per group key)."""
    totals, groups = Tally(), {}

    def group(raw: Any) -> Tally:
        return groups.setdefault(raw, Tally())

    conversation_figures(session, period, keys.conversation(), totals, group)
    _handoff_figures(session, period, keys.handoff(), fast, totals, group)
    _response_figures(session, period, keys, totals, group)
    _message_figures(session, period, local, keys, totals, group)
    timer_figures(session, period, keys, totals, group)
    return totals, groups


def _keyed(key: Optional[ColumnElement]) -> Tuple[List[ColumnElement], List[ColumnElement]]:
    """The key as the first column, and the GROUP BY it needs (none without a key: one row for all)."""
    if key is None:
        return [literal_column("0").label("k")], []
    return [key.label("k")], [key]


def conversation_figures(session: Session, period: Period, key: Optional[ColumnElement], totals: Tally,
                          group: Group) -> None:  # fmt: skip
    """conversations, containment, handoff_reasons: each conversation with the reason of its (first) handoff.
    key None (by agent): the totals only."""
    column, grouped = _keyed(key)
    rows = session.connection().execute(
        select(*column, Handoff.reason, func.count())
        .select_from(Conversation)
        .outerjoin(Handoff, its_handoff(period))
        .where(Conversation.started_at >= period.start, Conversation.started_at < period.end)
        .group_by(*grouped, Handoff.reason)
    )
    for raw, reason, n in rows:
        for t in (totals, group(raw)) if key is not None else (totals,):
            t.conversations += n
            if reason is None:  # no handoff joined (a handoff's reason is NOT NULL)
                t.contained += n
            else:
                t.reasons[reason] = t.reasons.get(reason, 0) + n


def _handoff_figures(session: Session, period: Period, key: ColumnElement, fast: List[int], totals: Tally,
                     group: Group) -> None:  # fmt: skip
    """handoffs, reply rates, resolved, resolution time, CSAT; then the FRT and resolution percentiles."""
    handoff_counts(session, period, key, fast, totals, group)
    frt, took, in_period = handoff_times(period)
    wanted = [(frt, 0.5), (frt, 0.9), (took, 0.5)]
    total, by_group = statistics(session, key, wanted, Handoff, *in_period)
    for t, (p50, p90, took_p50) in [(totals, total), *((group(k), found) for k, found in by_group.items())]:
        t.frt_p50, t.frt_p90, t.resolution_p50 = p50, p90, took_p50


def handoff_times(period: Period) -> Tuple[ColumnElement, ColumnElement, Tuple[ColumnElement, ...]]:
    """(first response time, resolution time, the handoffs queued in the period)."""
    frt = Handoff.first_reply_at - Handoff.created_at
    took = Handoff.resolved_at - Handoff.created_at
    return frt, took, (Handoff.created_at >= period.start, Handoff.created_at < period.end)


def handoff_counts(session: Session, period: Period, key: ColumnElement, fast: List[int], totals: Tally,
                    group: Group) -> None:  # fmt: skip
    """handoffs, reply rates, resolved, resolution time, CSAT."""
    frt, took, in_period = handoff_times(period)
    within = [func.sum(case((frt <= s, 1), else_=0)) for s in fast]
    rows = session.connection().execute(
        select(
            key.label("k"),
            func.count(),
            *within,
            func.count(Handoff.resolved_at),
            func.sum(took),
            func.sum(Handoff.rating),
            func.count(Handoff.rating),
        )  # fmt: skip
        .where(*in_period)
        .group_by(key)
    )
    for raw, handoffs, *answered, resolved, took_sum, rating_sum, ratings in rows:
        for t in (totals, group(raw)):
            t.handoffs += handoffs
            for s, n in zip(fast, answered, strict=True):
                t.within[s] = t.within.get(s, 0) + int(n or 0)
            t.resolved += resolved
            t.took_sum += float(took_sum or 0)
            t.rating_sum += float(rating_sum or 0)
            t.ratings += ratings


def _events(keys: Keys, period: Period) -> Any:
    """The events' table, joined to their handoffs when the group is the handoff's. The figures' events (an agent's
    answer, a reminder, a reassignment) happen while a handoff is assigned: between its queueing and its resolution.
    So only handoffs queued before the period's end and resolved after its start (or open) can have one, which
    leaves out exactly the others and lets the resolved_at index skip the handoffs resolved long ago."""
    if not keys.joins_handoff:
        return HandoffEvent.__table__
    live = or_(Handoff.resolved_at.is_(None), Handoff.resolved_at >= period.start)
    on = and_(Handoff.id == HandoffEvent.handoff_id, Handoff.created_at < period.end, live)
    return HandoffEvent.__table__.join(Handoff.__table__, on)


def _in_period(period: Period, *kinds: str) -> Tuple[ColumnElement, ...]:
    return HandoffEvent.kind.in_(kinds), HandoffEvent.at >= period.start, HandoffEvent.at < period.end


def _response_figures(session: Session, period: Period, keys: Keys, totals: Tally, group: Group) -> None:
    """response_avg_s and response_p90_s: the agents' waits (HandoffEvent.wait_s) on first_reply and replied."""
    wait, source, where = waits(keys, period)
    total, by_group = statistics(session, keys.event(), [(wait, MEAN), (wait, 0.9)], source, *where)
    for t, (mean, p90) in [(totals, total), *((group(k), found) for k, found in by_group.items())]:
        t.response_avg, t.response_p90 = mean, p90


def waits(keys: Keys, period: Period) -> Tuple[ColumnElement, Any, Tuple[ColumnElement, ...]]:
    """(the agents' wait, the table to read it from, the rows of the period with one) for the response figures."""
    wait = HandoffEvent.wait_s
    return wait, _events(keys, period), (*_in_period(period, *WAITS), wait.is_not(None))


def message_rows(session: Session, period: Period, local: LocalTime, keys: Keys) -> Any:
    """(group key, agent, local day, agent messages) of the period's agent messages."""
    key, day = keys.event(), local.day(HandoffEvent.at)
    return session.connection().execute(
        select(key.label("k"), HandoffEvent.agent, day, func.count())
        .select_from(_events(keys, period))
        .where(*_in_period(period, "message"))
        .group_by(key, HandoffEvent.agent, day)
    )


def _message_figures(session: Session, period: Period, local: LocalTime, keys: Keys, totals: Tally,
                     group: Group) -> None:  # fmt: skip
    """agent_messages, and agent_days: the (agent, local day) pairs with at least one agent message."""
    pairs: Set[Tuple[str, int]] = set()
    for raw, agent, on_day, n in message_rows(session, period, local, keys):
        t = group(raw)
        t.messages += n
        t.agent_days += 1
        totals.messages += n
        pairs.add((agent, on_day))  # an agent-day may fall in several groups (several categories): once in total
    totals.agent_days = len(pairs)


def timer_figures(session: Session, period: Period, keys: Keys, totals: Tally, group: Group) -> None:
    """reminders (to the agent reminded) and reassignments (to the agent who lost the chat)."""
    key = keys.event(case((HandoffEvent.kind == "reassigned", _moved_from(session)), else_=HandoffEvent.agent))
    rows = session.connection().execute(
        select(key.label("k"), HandoffEvent.kind, func.count())
        .select_from(_events(keys, period))
        .where(*_in_period(period, "reminded", "reassigned"))
        .group_by(key, HandoffEvent.kind)
    )
    for raw, kind, n in rows:
        for t in (totals, group(raw)):
            if kind == "reminded":
                t.reminders += n
            else:
                t.reassignments += n


def _moved_from(session: Session) -> ColumnElement:
    """The agent a reassigned event took the chat from (its detail {"from": agent})."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(HandoffEvent.detail, postgresql.JSON)["from"].astext
    return func.json_extract(HandoffEvent.detail, "$.from")
