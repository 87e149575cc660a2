"""The durable record of every handoff, in SQL (SQLite by default, PostgreSQL by URL).

handoff_events holds every event the Lua scripts emitted, in stream order; handoffs holds one
row per handoff with its timestamps and its live fields as of the last event, which is what
metrics read and what rebuild.py restores Redis from. Times are Unix seconds (UTC).
"""

from __future__ import annotations

import json
from typing import Dict, Iterable, List, Tuple

from sqlalchemy import Boolean, Column, Float, Integer, String, Text, select
from sqlalchemy.orm import Session, declarative_base

from helpdesk.queue import queue_score

Base = declarative_base()

# events that give the chat to an agent (the "agent" field names them)
TAKEN = {"assigned", "claimed", "reassigned"}


class Handoff(Base):
    __tablename__ = "handoffs"

    id = Column(String(40), primary_key=True)  # the queued event's stream id
    conversation_id = Column(String(255), index=True, nullable=False)
    channel = Column(String(40), nullable=False, default="")
    customer = Column(String(80), nullable=False, default="")
    language = Column(String(8), nullable=False, default="en")
    category = Column(String(40), nullable=False, default="")
    priority = Column(Integer, nullable=False, default=0)
    vip = Column(Boolean, nullable=False, default=False)
    reason = Column(String(40), nullable=False, default="")
    order_number = Column(String(40))
    summary = Column(Text, nullable=False, default="")
    created_at = Column(Float, nullable=False)
    # live fields, as of the last event
    state = Column(String(16), index=True, nullable=False)  # waiting | assigned | resolved
    agent = Column(String(40))
    group = Column("group_name", String(40))
    front = Column(Boolean, nullable=False, default=False)  # sent back to the queue: ahead of new chats
    assigned_at = Column(Float)
    unreplied_since = Column(Float)
    reminded_at = Column(Float)
    # for metrics
    first_assigned_at = Column(Float)
    first_reply_at = Column(Float)
    resolved_at = Column(Float)
    resolved_by = Column(String(40))
    rating = Column(Integer)

    @property
    def score(self) -> float:
        score = queue_score(self.priority, self.created_at)
        return score - 1e14 if self.front else score  # as release() in common.lua


class HandoffEvent(Base):
    __tablename__ = "handoff_events"

    id = Column(Integer, primary_key=True, autoincrement=True)  # copy order = stream order
    stream_id = Column(String(40), unique=True, nullable=False)
    handoff_id = Column(String(40), index=True)
    conversation_id = Column(String(255), nullable=False, default="")
    kind = Column(String(32), nullable=False)
    agent = Column(String(40), nullable=False, default="")
    at = Column(Float, nullable=False)
    detail = Column(Text, nullable=False, default="{}")


def _handoff_from_record(hid: str, record: Dict[str, str]) -> Handoff:
    return Handoff(
        id=hid,
        conversation_id=record["conversation_id"],
        channel=record.get("channel", ""),
        customer=record.get("customer", ""),
        language=record.get("language", "en"),
        category=record.get("category", ""),
        priority=int(record.get("priority") or 0),
        vip=record.get("vip") == "1",
        reason=record.get("reason", ""),
        order_number=record.get("order_number") or None,
        summary=record.get("summary", ""),
        created_at=float(record["created_at"]),
        state="waiting",
    )


def _apply(h: Handoff, kind: str, agent: str, at: float, detail: Dict) -> None:
    """Move the row's live fields the way the Lua script moved the Redis hash."""
    if kind in TAKEN or (kind == "transferred" and agent):
        h.state, h.agent, h.group = "assigned", agent, None
        h.assigned_at, h.unreplied_since, h.reminded_at = at, at, None
        h.first_assigned_at = h.first_assigned_at or at
    elif kind in ("requeued", "transferred"):
        h.state, h.agent, h.front = "waiting", None, True
        h.unreplied_since = h.reminded_at = None
        h.group = detail.get("group") or None
    elif kind in ("first_reply", "replied"):
        h.first_reply_at = h.first_reply_at or at
        h.unreplied_since = h.reminded_at = None
    elif kind == "buyer_waiting":
        h.unreplied_since = at
    elif kind == "reminded":
        h.reminded_at = at
    elif kind == "resolved":
        h.state, h.resolved_at, h.resolved_by = "resolved", at, detail.get("by") or agent
    elif kind == "rating":
        h.rating = int(detail["rating"])


def record_events(session: Session, entries: Iterable[Tuple[str, Dict[str, str]]]) -> int:
    """Write stream entries (id, fields) once each, in order; returns how many were new."""
    entries = list(entries)
    ids = [stream_id for stream_id, _ in entries]
    seen = set(session.scalars(select(HandoffEvent.stream_id).where(HandoffEvent.stream_id.in_(ids))))
    new = 0
    for stream_id, f in entries:
        if stream_id in seen:
            continue  # copied before a crash kept it in the stream
        detail = json.loads(f.get("detail") or "{}") or {}
        kind, at, agent = f["kind"], float(f["at"]), f.get("agent", "")
        hid = stream_id if kind == "queued" else (f.get("handoff_id") or None)
        cid = f.get("conversation_id", "")
        text = json.dumps(detail, ensure_ascii=False)
        session.add(HandoffEvent(stream_id=stream_id, handoff_id=hid, conversation_id=cid, kind=kind, agent=agent,
                                 at=at, detail=text))  # fmt: skip
        if kind == "queued":
            session.add(_handoff_from_record(stream_id, detail))
            session.flush()
        elif hid:
            handoff = session.get(Handoff, hid)
            if handoff is not None:
                _apply(handoff, kind, agent, at, detail)
        new += 1
    return new


def open_handoffs(session: Session) -> List[Handoff]:
    return list(session.scalars(select(Handoff).where(Handoff.state != "resolved").order_by(Handoff.created_at)))


def recent_handle_times(session: Session, limit: int = 50) -> List[float]:
    rows = session.execute(
        select(Handoff.resolved_at, Handoff.assigned_at)
        .where(Handoff.resolved_at.is_not(None), Handoff.assigned_at.is_not(None))
        .order_by(Handoff.resolved_at.desc())
        .limit(limit)
    )
    return [resolved - assigned for resolved, assigned in rows]

