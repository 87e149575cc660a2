"""Search of the handoff record and of the conversations' words, for the console's search box and its History.

A handoff matches ?q= when the buyer's name, the channel-verified customer id, the order number, the conversation id
or the bot's summary contains it (case-insensitive), or when a message of its conversation does (a buyer's, the
bot's or an agent's, read from Rasa's SQL tracker store). Dates, state and channel narrow the handoffs first;
without ?q= the search lists them all, newest first (the History: state=resolved).

Both stores may be SQLite or PostgreSQL: the search is LIKE with escaped wildcards on lower() of both sides, on
both (SQLite's lower() folds ASCII letters only). The record's columns are searched over every handoff in the dates
(handoffs.created_at is indexed). The messages are searched only in the conversations of the newest MESSAGE_SCAN
handoffs that pass the filters, by events.sender_id (the tracker store's only index besides its key), so one search
reads at most their events however long the history; the answer's messages_since says where that stopped, and dates
move the window back.
Snippets are masked (shop/masking.py): a result list shows no emails, phones, order numbers or names.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from helpdesk.inbox import title
from helpdesk.record.models import Handoff
from helpdesk.record.tracker import EVENTS
from shop.masking import mask

log = logging.getLogger(__name__)
STATES = ("waiting", "assigned", "resolved")
MAX_PER_PAGE = 100
MAX_PAGE = 500  # 50,000 rows deep at most: a search is narrowed, not paged through
MESSAGE_SCAN = 1_000  # the newest handoffs whose conversations' messages one search reads
CHUNK = 500  # conversation ids per query of the tracker store
SNIPPET = 60  # characters on either side of the match
ESCAPE = "\\"
# the record's columns ?q= looks in, and what the answer calls a match in each
FIELDS = (("name", Handoff.customer_name), ("order", Handoff.order_number), ("customer", Handoff.customer),
          ("conversation", Handoff.conversation_id), ("summary", Handoff.summary))  # fmt: skip


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""  # "" = every handoff that passes the filters
    start: Optional[float] = None  # Unix s, inclusive: handoffs created at or after it
    end: Optional[float] = None  # exclusive
    state: str = ""  # "" = any
    channel: str = ""
    page: int = 1
    per_page: int = 20


def like_pattern(text: str) -> str:
    """A LIKE pattern that finds text anywhere, its own % and _ taken literally (ESCAPE '\\'), lower-cased."""
    escaped = text.lower().replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{escaped}%"


def _contains(column: Any, text: str) -> Any:
    return sa.func.lower(column).like(like_pattern(text), escape=ESCAPE)


def _filters(query: SearchQuery) -> List[Any]:
    where = []
    if query.start is not None:
        where.append(Handoff.created_at >= query.start)
    if query.end is not None:
        where.append(Handoff.created_at < query.end)
    if query.state:
        where.append(Handoff.state == query.state)
    if query.channel:
        where.append(Handoff.channel == query.channel)
    return where


def _newest_first(select: Any) -> Any:
    return select.order_by(Handoff.created_at.desc(), Handoff.id.desc())


def message_matches(tracker: Engine, conversations: Sequence[str], text: str) -> Dict[str, str]:
    """conversation id -> the text of its latest message (buyer, bot or agent) that contains text. The stored JSON
    is matched first in SQL (as written: \\u escapes for what is not ASCII, and as typed), then each candidate's
    own text in Python, so that a word found only in the intent's name or the metadata does not count."""
    latest: Dict[str, Tuple[int, str]] = {}  # sender -> (event id, text) of its latest match
    if not conversations or not text:
        return {}
    needle = text.casefold()
    patterns = {like_pattern(text), like_pattern(json.dumps(text)[1:-1])}
    data = sa.func.lower(EVENTS.c.data)
    with tracker.connect() as conn:
        if not sa.inspect(conn).has_table("events"):  # no buyer has written yet: Rasa makes it on first save
            return {}
        for at in range(0, len(conversations), CHUNK):
            chunk = list(conversations[at : at + CHUNK])
            # each sender's latest match is picked below, so the query takes the rows in any order (from the index)
            rows = conn.execute(
                sa.select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.data)
                .where(EVENTS.c.sender_id.in_(chunk), EVENTS.c.type_name.in_(("user", "bot")))
                .where(sa.or_(*(data.like(p, escape=ESCAPE) for p in sorted(patterns))))
            )
            for event_id, sender, raw in rows:
                said = str((json.loads(raw or "{}") or {}).get("text") or "")
                if needle in said.casefold() and event_id > latest.get(sender, (-1, ""))[0]:
                    latest[sender] = (event_id, said)
    return {sender: said for sender, (_, said) in latest.items()}


def snippet(text: str, needle: str, order_masks: Sequence[str]) -> str:
    """Some words around the first match, masked; the match itself may be masked away (an email searched for)."""
    masked = " ".join(mask(text, order_masks).split())
    at = masked.casefold().find(needle.casefold())
    if at < 0:
        at = min(" ".join(text.split()).casefold().find(needle.casefold()), len(masked))
    first, last = max(0, at - SNIPPET), min(len(masked), max(at, 0) + len(needle) + SNIPPET)
    return ("…" if first else "") + masked[first:last] + ("…" if last < len(masked) else "")


def _matched(h: Handoff, text: str, said: Optional[str]) -> str:
    low = text.lower()
    for name, column in FIELDS:
        if low in str(getattr(h, column.key) or "").lower():
            return name
    return "message" if said is not None else ""


def _row(h: Handoff, text: str, said: Optional[str], order_masks: Sequence[str]) -> Dict[str, Any]:
    matched = _matched(h, text, said) if text else ""
    where = h.summary if matched == "summary" else said if matched == "message" else None
    return {
        "conversation_id": h.conversation_id,
        "handoff_id": h.id,
        "title": title(h.conversation_id, {"customer_name": h.customer_name or "", "channel": h.channel}),
        "channel": h.channel,
        "category": h.category,
        "language": h.language,
        "state": h.state,
        "agent": h.agent or h.resolved_by or "",
        "created_at": h.created_at,
        "resolved_at": h.resolved_at,
        "rating": h.rating,
        "matched": matched,
        "snippet": snippet(where, text, order_masks) if where else "",
    }


def search(record: sessionmaker, tracker: Optional[Engine], query: SearchQuery,
           order_masks: Iterable[str]) -> Dict[str, Any]:  # fmt: skip
    """One page of the handoffs that match, newest first, with how many match in all."""
    masks = list(order_masks)
    filters = _filters(query)
    said: Dict[str, str] = {}
    messages_since: Optional[float] = None
    messages_unavailable = False
    with record() as session:
        where = list(filters)
        if query.text:
            scanned = session.execute(
                _newest_first(sa.select(Handoff.conversation_id, Handoff.created_at).where(*filters)).limit(
                    MESSAGE_SCAN
                )
            ).all()
            if len(scanned) == MESSAGE_SCAN:
                messages_since = float(scanned[-1][1])
            cids = list(dict.fromkeys(cid for cid, _ in scanned))
            try:
                said = message_matches(tracker, cids, query.text) if tracker is not None else {}
            except SQLAlchemyError as exc:  # the record's columns are still searched
                log.error("search: the tracker store did not answer: %s", exc.__class__.__name__)
                messages_unavailable = True
            either = [_contains(column, query.text) for _, column in FIELDS]
            if said:
                either.append(Handoff.conversation_id.in_(sorted(said)))
            where.append(sa.or_(*either))
        total = session.scalar(sa.select(sa.func.count()).select_from(Handoff).where(*where))
        rows = session.scalars(
            _newest_first(sa.select(Handoff).where(*where))
            .offset((query.page - 1) * query.per_page)
            .limit(query.per_page)
        ).all()
        results = [_row(h, query.text, said.get(h.conversation_id), masks) for h in rows]
    return {
        "q": query.text,
        "state": query.state,
        "channel": query.channel,
        "page": query.page,
        "per_page": query.per_page,
        "total": int(total or 0),
        "messages_since": messages_since,
        "messages_unavailable": messages_unavailable,
        "results": results,
    }
