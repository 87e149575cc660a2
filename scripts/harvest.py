"""The trainer's inbox, from the command line: the buyer messages the bot did not understand, masked, de-duplicated
and counted, read from the stored conversations (Rasa's SQL tracker store) and the handoff record.

    python -m scripts.harvest --since 7d [--below 0.6] [--json] [--limit 50]

A message is harvested when the bot's guess was a fallback or out_of_scope, or below `--below` confidence
(default shop.yml handoff.unclear_below: what the bot itself treats as not understood), or when it was one of the
last messages before a handoff for "not understood" (reason bot_failed; shop.yml handoff.max_bot_failures of
them). Emails, phones, order numbers and names are masked (shop/masking.py) before anything is counted or shown.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from helpdesk.record.models import Handoff, open_record
from shop.config import ShopConfig, load_shop_config
from shop.db import close, make_engine
from shop.masking import mask
from shop.settings import Settings

MISSED_INTENTS = ("nlu_fallback", "out_of_scope")
LINKS_KEPT = 5  # conversations listed per entry
_SINCE = re.compile(r"^(\d{1,4})([hdw])$")
_UNIT_S = {"h": 3600, "d": 86_400, "w": 7 * 86_400}
# Rasa's SQL tracker store: one row per event, its JSON in `data` (rasa/core/tracker_store.py SQLTrackerStore)
EVENTS = sa.table("events", sa.column("sender_id"), sa.column("type_name"), sa.column("timestamp"), sa.column("data"))


@dataclass
class Entry:
    """One distinct missed message: its masked text, how often, why, what the bot guessed, and where."""

    text: str
    count: int = 0
    why: Counter = field(default_factory=Counter)  # fallback | out_of_scope | low_confidence | before_handoff
    guesses: Counter = field(default_factory=Counter)  # the intents the bot guessed
    conversations: List[str] = field(default_factory=list)
    last_at: float = 0.0

    def as_dict(self) -> Dict[str, Any]:
        return {
            "text": self.text,
            "count": self.count,
            "why": dict(self.why.most_common()),
            "guessed": dict(self.guesses.most_common()),
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


def parse_since(text: str) -> float:
    """ "7d", "24h", "2w" -> seconds."""
    m = _SINCE.match(text.strip())
    if not m:
        raise ValueError(f"--since must look like 24h, 7d or 2w, not {text!r}")
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
            for sender, at, data in conn.execute(query.order_by(EVENTS.c.timestamp)):
                event = json.loads(data or "{}")
                intent = (event.get("parse_data") or {}).get("intent") or {}
                text = str(event.get("text") or "").strip()
                if text and not text.startswith("/"):  # "/restart", a button's payload: not typed words
                    yield Said(sender, float(at), text, str(intent.get("name") or ""),
                               float(intent.get("confidence") or 0.0))  # fmt: skip
    finally:
        engine.dispose()


def failed_handoffs(helpdesk_url: str, since: float) -> List[Tuple[str, float]]:
    """(conversation, queued at) of the handoffs since `since` because the bot did not understand."""
    record = open_record(helpdesk_url)
    with record() as session:
        rows = session.execute(
            sa.select(Handoff.conversation_id, Handoff.created_at).where(
                Handoff.reason == "bot_failed", Handoff.created_at >= since
            )
        ).all()
    close(record)
    return [(cid, float(at)) for cid, at in rows]


def harvest(tracker_url: str, helpdesk_url: str, cfg: ShopConfig, since: float, below: float) -> List[Entry]:
    """The inbox: every missed message since `since`, masked and de-duplicated, the most frequent first."""
    entries: Dict[str, Entry] = {}

    def add(said: Said, why: str) -> None:
        text = mask(said.text, cfg.formats.order_numbers)
        entry = entries.setdefault(_key(text), Entry(text))
        entry.count += 1
        entry.why[why] += 1
        if said.intent:
            entry.guesses[said.intent] += 1
        if said.conversation not in entry.conversations and len(entry.conversations) < LINKS_KEPT:
            entry.conversations.append(said.conversation)
        entry.last_at = max(entry.last_at, said.at)

    taken = set()
    for said in buyer_messages(tracker_url, since):
        why = _missed(said, below)
        if why:
            add(said, why)
            taken.add((said.conversation, said.at))
    handoffs = failed_handoffs(helpdesk_url, since)
    if handoffs:
        by_conversation: Dict[str, List[Said]] = {}
        for said in buyer_messages(tracker_url, since, sorted({cid for cid, _ in handoffs})):
            by_conversation.setdefault(said.conversation, []).append(said)
        for cid, queued_at in handoffs:
            before = [s for s in by_conversation.get(cid, []) if s.at <= queued_at]
            for said in before[-cfg.handoff.max_bot_failures :]:
                if (said.conversation, said.at) not in taken:  # counted once, under its own reason
                    add(said, "before_handoff")
                    taken.add((said.conversation, said.at))
    return sorted(entries.values(), key=lambda e: (-e.count, -e.last_at, e.text))


def _missed(said: Said, below: float) -> Optional[str]:
    if said.intent == "nlu_fallback":
        return "fallback"
    if said.intent == "out_of_scope":
        return "out_of_scope"
    if said.confidence < below:
        return "low_confidence"
    return None


def _key(text: str) -> str:
    """What makes two messages the same: case and spacing aside."""
    return " ".join(text.casefold().split())


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scripts.harvest", description=__doc__.split("\n\n")[0])
    ap.add_argument("--since", default="7d", help="how far back: 24h, 7d, 2w (default 7d)")
    ap.add_argument("--below", type=float, default=None, help="confidence under which a guess counts as missed "
                    "(default shop.yml handoff.unclear_below)")  # fmt: skip
    ap.add_argument("--limit", type=int, default=50, help="entries shown (default 50)")
    ap.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    args = ap.parse_args(argv)
    try:
        since = time.time() - parse_since(args.since)
    except ValueError as exc:
        ap.error(str(exc))
    settings = Settings.from_env()
    cfg = load_shop_config(settings.shop_config)
    below = cfg.handoff.unclear_below if args.below is None else args.below
    entries = harvest(settings.tracker_database_url, settings.helpdesk_database_url, cfg, since, below)
    shown = entries[: max(0, args.limit)]
    if args.json:
        for entry in shown:
            print(json.dumps(entry.as_dict(), ensure_ascii=False))
        return 0
    print(f"{len(entries)} distinct missed messages since {args.since} (showing {len(shown)}):")
    for entry in shown:
        why = ", ".join(entry.why)
        guessed = ", ".join(entry.guesses) or "-"
        print(f"{entry.count:>5}  {entry.text[:80]!r}  [{why}; guessed {guessed}]  e.g. {entry.conversations[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
