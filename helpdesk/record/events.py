"""Writing the event stream into the record: every event once, in order, and each handoff's row moved
the way the Lua script moved its Redis hash. The models are in helpdesk/record/models.py."""

from __future__ import annotations

import json
from typing import Dict, Iterable, List, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.record.models import Handoff, HandoffEvent

# events that give the chat to an agent (the "agent" field names them)
TAKEN = {"assigned", "claimed", "reassigned"}


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
