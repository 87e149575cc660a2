"""Writing the event stream into the record: every event once, in order, and each handoff's row moved
the way the Lua script moved its Redis hash. The models are in helpdesk/record/models.py."""

from __future__ import annotations

import json
from typing import Dict, Iterable, List, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.record.models import Conversation, Handoff, HandoffEvent

# events that give the chat to an agent (the "agent" field names them)
TAKEN = {"assigned", "claimed", "reassigned"}


def _handoff_from_record(hid: str, record: Dict[str, str]) -> Handoff:
    return Handoff(
        id=hid,
        conversation_id=record["conversation_id"],
        channel=record.get("channel", ""),
        customer=record.get("customer", ""),
        customer_name=record.get("customer_name") or None,
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
        h.first_agent = h.first_agent or agent
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


CONVERSATION_FIELDS = ("channel", "language", "category", "customer", "order_number")


def _wait(h: Handoff, kind: str, at: float) -> float | None:
    """How long the agent took: a first reply since they got the chat, a later one since the buyer wrote."""
    since = (h.assigned_at or h.created_at) if kind == "first_reply" else h.unreplied_since
    return None if since is None else max(0.0, at - since)


def _conversation_started(session: Session, rec_id: str, cid: str, at: float, detail: Dict) -> None:
    fields = {name: str(detail.get(name) or "") for name in CONVERSATION_FIELDS}
    session.add(Conversation(id=rec_id, conversation_id=cid, started_at=at, **{**fields,
                             "order_number": fields["order_number"] or None}))  # fmt: skip


def _conversation_learned(session: Session, detail: Dict) -> None:
    row = session.get(Conversation, str(detail.get("id") or ""))
    for name in CONVERSATION_FIELDS:
        if row is not None and detail.get(name):
            setattr(row, name, str(detail[name]))


def _link_handoff(session: Session, h: Handoff) -> None:
    """The handoff belongs to the buyer's latest conversation; one queued from outside the bot (POST /handoffs)
    starts its own, so that every handoff counts in the reports' conversations."""
    row = session.scalars(
        select(Conversation)
        .where(Conversation.conversation_id == h.conversation_id, Conversation.started_at <= h.created_at)
        .order_by(Conversation.started_at.desc())
        .limit(1)
    ).first()
    if row is None:
        row = Conversation(id=h.id, conversation_id=h.conversation_id, started_at=h.created_at, channel=h.channel,
                           language=h.language, category=h.category, customer=h.customer)  # fmt: skip
        session.add(row)
    if row.handoff_id is None:
        row.handoff_id = h.id
        row.category = row.category or h.category
        row.customer = row.customer or h.customer


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
        event = HandoffEvent(stream_id=stream_id, handoff_id=hid, conversation_id=cid, kind=kind, agent=agent, at=at,
                             detail=text)  # fmt: skip
        session.add(event)
        if kind == "conversation":
            _conversation_started(session, stream_id, cid, at, detail)
        elif kind == "conversation_update":
            _conversation_learned(session, detail)
        elif kind == "queued":
            handoff = _handoff_from_record(stream_id, detail)
            session.add(handoff)
            session.flush()
            _link_handoff(session, handoff)
        elif hid:
            handoff = session.get(Handoff, hid)
            if handoff is not None:
                if kind in ("first_reply", "replied"):
                    event.wait_s = _wait(handoff, kind, at)
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
