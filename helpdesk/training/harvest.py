"""What the bot did not understand, read from the stored conversations (Rasa's SQL tracker store), the handoff
record and the agents' flags: the raw material of the trainer's inbox (inbox.py).

A buyer message is harvested when the bot's guess was a fallback or out_of_scope, or under `below` confidence
(shop.yml handoff.unclear_below by default: what the bot itself treats as not understood), or when it was one of
the last messages before a handoff for "not understood" (reason bot_failed; shop.yml handoff.max_bot_failures of
them), or when an agent flagged it in the console with the intent it should have been. Emails, phones, order
numbers and names are masked (shop/masking.py) before anything is counted or shown.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from helpdesk.record.models import Handoff, TrainingFlag
from helpdesk.record.tracker import EVENTS
from shop.config import ShopConfig
from shop.db import make_engine
from shop.masking import mask

MISSED_INTENTS = ("nlu_fallback", "out_of_scope")
LINKS_KEPT = 5  # conversations listed per entry
_SINCE = re.compile(r"^(\d{1,4})([hdw])$")
_UNIT_S = {"h": 3600, "d": 86_400, "w": 7 * 86_400}


@dataclass
class Entry:
    """One distinct missed message: its masked text, how often, why, what the bot guessed, what an agent said it
    should have been, and where."""

    text: str
    count: int = 0
    why: Counter = field(default_factory=Counter)  # fallback | out_of_scope | low_confidence | before_handoff | flagged
    guesses: Counter = field(default_factory=Counter)  # the intents the bot guessed
    conversations: List[str] = field(default_factory=list)
    last_at: float = 0.0
    suggested: Optional[str] = None  # the intent of the latest agent flag
    flagged_by: List[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return key_of(self.text)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "key": self.key,
            "text": self.text,
            "count": self.count,
            "why": dict(self.why.most_common()),
            "guessed": dict(self.guesses.most_common()),
            "suggested": self.suggested,
            "flagged_by": self.flagged_by,
            "conversations": [{"id": c, "transcript": f"/conversations/{c}/transcript"} for c in self.conversations],
            "last_at": self.last_at,
        }


@dataclass(frozen=True)
class Said:
    """A buyer message as the tracker store keeps it."""

    conversation: str
    at: float
    text: str
    intent: str
    confidence: float


def key_of(text: str) -> str:
    """The stable id of a (masked) text: two messages that differ only in case and spacing are one entry."""
    return hashlib.sha256(" ".join(text.casefold().split()).encode()).hexdigest()[:16]


def parse_since(text: str) -> float:
    """ "7d", "24h", "2w" -> seconds."""
    m = _SINCE.match(text.strip())
    if not m:
        raise ValueError(f"since must look like 24h, 7d or 2w, not {text!r}")
    return int(m.group(1)) * _UNIT_S[m.group(2)]


def buyer_messages(tracker_url: str, since: float, conversations: Optional[Sequence[str]] = None) -> Iterator[Said]:
    """The buyer messages stored since `since` (Unix s), optionally of some conversations only."""
    engine = make_engine(tracker_url)
    query = sa.select(EVENTS.c.sender_id, EVENTS.c.timestamp, EVENTS.c.data).where(
        EVENTS.c.type_name == "user", EVENTS.c.timestamp >= since
    )
    if conversations is not None:
        query = query.where(EVENTS.c.sender_id.in_(list(conversations)))
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("events"):  # no buyer has written yet: Rasa makes it on first save
                return
            for sender, at, data in conn.execute(query.order_by(EVENTS.c.timestamp)):
                said = said_of(sender, at, json.loads(data or "{}"))
                if said is not None:
                    yield said
    finally:
        engine.dispose()


def said_of(conversation: str, at: float, event: Dict[str, Any]) -> Optional[Said]:
    """A stored user event as a buyer message; None for what the buyer did not type ("/restart", a button)."""
    intent = (event.get("parse_data") or {}).get("intent") or {}
    text = str(event.get("text") or "").strip()
    if not text or text.startswith("/"):
        return None
    return Said(conversation, float(at), text, str(intent.get("name") or ""), float(intent.get("confidence") or 0.0))


def failed_handoffs(record: sessionmaker, since: float) -> List[Tuple[str, float]]:
    """(conversation, queued at) of the handoffs since `since` because the bot did not understand."""
    with record() as session:
        rows = session.execute(
            sa.select(Handoff.conversation_id, Handoff.created_at).where(
                Handoff.reason == "bot_failed", Handoff.created_at >= since
            )
        ).all()
    return [(cid, float(at)) for cid, at in rows]


def harvest(tracker_url: str, record: sessionmaker, cfg: ShopConfig, since: float, below: float) -> List[Entry]:
    """Every missed or flagged message since `since`, masked and de-duplicated, the most frequent first."""
    entries: Dict[str, Entry] = {}

    def add(said: Said, why: str) -> Entry:
        text = mask(said.text, cfg.formats.order_numbers)
        entry = entries.setdefault(key_of(text), Entry(text))
        entry.count += 1
        entry.why[why] += 1
        if said.intent:
            entry.guesses[said.intent] += 1
        if said.conversation not in entry.conversations and len(entry.conversations) < LINKS_KEPT:
            entry.conversations.append(said.conversation)
        entry.last_at = max(entry.last_at, said.at)
        return entry

    taken = set()  # (conversation, at): each buyer message counts once, under its first reason
    for flag in flags_since(record, since):
        said = Said(flag.conversation_id, flag.turn_at, flag.text, flag.guessed, 0.0)
        entry = add(said, "flagged")
        entry.suggested = flag.intent  # the flags come oldest first: the latest wins
        if flag.agent not in entry.flagged_by:
            entry.flagged_by.append(flag.agent)
        taken.add((flag.conversation_id, flag.turn_at))
    for said in buyer_messages(tracker_url, since):
        why = _missed(said, below)
        if why and (said.conversation, said.at) not in taken:
            add(said, why)
            taken.add((said.conversation, said.at))
    handoffs = failed_handoffs(record, since)
    if handoffs:
        by_conversation: Dict[str, List[Said]] = {}
        for said in buyer_messages(tracker_url, since, sorted({cid for cid, _ in handoffs})):
            by_conversation.setdefault(said.conversation, []).append(said)
        for cid, queued_at in handoffs:
            before = [s for s in by_conversation.get(cid, []) if s.at <= queued_at]
            for said in before[-cfg.handoff.max_bot_failures :]:
                if (said.conversation, said.at) not in taken:
                    add(said, "before_handoff")
                    taken.add((said.conversation, said.at))
    return sorted(entries.values(), key=lambda e: (-e.count, -e.last_at, e.text))


def flags_since(record: sessionmaker, since: float) -> List[TrainingFlag]:
    """The agents' flags on buyer turns said since `since`, oldest flag first."""
    with record() as session:
        query = sa.select(TrainingFlag).where(TrainingFlag.turn_at >= since).order_by(TrainingFlag.at)
        return list(session.scalars(query))


def _missed(said: Said, below: float) -> Optional[str]:
    if said.intent == "nlu_fallback":
        return "fallback"
    if said.intent == "out_of_scope":
        return "out_of_scope"
    if said.confidence < below:
        return "low_confidence"
    return None
