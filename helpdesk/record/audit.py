"""Checks that no chat is double-assigned or lost, in Redis (now) and in the SQL record (ever).

    python -m helpdesk.web audit      # exit 1 and list the problems if there are any

Desk.audit() checks the live state in one atomic look (helpdesk/lua/audit.lua).
record_problems() replays every handoff's events from SQL and checks each one was legal when
it happened: a chat is taken only while waiting, moved or closed only by its owner of the
moment. So a chat never had two owners at once, at any time, not just at the end.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.record.models import HandoffEvent

OWNER_EVENTS = {"first_reply", "replied", "reminded", "buyer_waiting", "reassign_pending"}


def _step(state: Optional[str], owner: Optional[str], e: HandoffEvent) -> Tuple[str, Optional[str], Optional[str]]:
    """(why the event was illegal or "", the state after it, the owner after it)."""
    d = json.loads(e.detail or "{}")
    if e.kind == "queued":
        return ("queued twice" if state is not None else ""), "waiting", None
    if e.kind in ("assigned", "claimed"):
        return ("taken while not waiting" if state != "waiting" else ""), "assigned", e.agent
    if e.kind in ("reassigned", "transferred", "requeued"):
        why = "moved by someone who did not own it" if state != "assigned" or d.get("from") != owner else ""
        return (why, "assigned", e.agent) if e.agent else (why, "waiting", None)
    if e.kind == "resolved":
        why = "resolved while not owned by that agent" if state != "assigned" or e.agent != owner else ""
        return why, "resolved", None
    if e.kind in OWNER_EVENTS and (state != "assigned" or e.agent != owner):
        return "owner event for someone else", state, owner
    if e.kind == "rating" and state != "resolved":
        return "rated before resolved", state, owner
    return "", state, owner


def _replay(events: List[HandoffEvent]) -> List[str]:
    problems: List[str] = []
    state: Optional[str] = None
    owner: Optional[str] = None
    for e in events:
        why, next_state, next_owner = _step(state, owner, e)
        if why:
            problems.append(f"{e.handoff_id} {e.kind} by {e.agent or '-'}: {why} (state {state}, owner {owner})")
        state, owner = next_state, next_owner
    return problems


def record_problems(session: Session) -> List[str]:
    by_handoff: Dict[str, List[HandoffEvent]] = defaultdict(list)
    query = select(HandoffEvent).where(HandoffEvent.handoff_id.is_not(None)).order_by(HandoffEvent.id)
    for e in session.scalars(query):
        by_handoff[e.handoff_id].append(e)
    problems: List[str] = []
    for events in by_handoff.values():
        problems += _replay(events)
    return problems
