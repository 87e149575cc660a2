"""The trainer's inbox and what a trainer or an agent does with it, for the console (helpdesk/web/training_api.py)
and the command line (scripts/trainer.py) alike:

- the inbox: the harvest (harvest.py) without the texts already decided;
- decide: an intent (the example is written to the reviewed-examples file, examples.py) or "ignore";
- undo a decision; list the decisions;
- flag: an agent's "the bot misunderstood this" on a buyer's turn, with the intent it should have been.

Decisions and flags live in the handoff record (training_decisions, training_flags); the examples in the file.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from helpdesk.record.models import TrainingDecision, TrainingFlag
from helpdesk.training.examples import ReviewedFile, example_line, known_examples, relative, words_of
from helpdesk.training.harvest import Entry, Said, harvest, key_of
from shop.categories import intent_categories
from shop.config import ShopConfig
from shop.masking import mask

IGNORE = "ignore"
LOOKBACK_S = 90 * 86_400  # the widest inbox: a decision looks its entry up in it (unless it was just shown)
SHOWN_FOR_S = 600  # a decision within this of the inbox that showed its entry takes the entry from there
NOT_PICKABLE = ("nlu_fallback",)  # not an intent of the domain: what the bot says when it has none


class UnknownEntry(LookupError):
    """No such entry in the inbox (decided meanwhile, or older than the lookback)."""


class UnknownIntent(ValueError):
    """Not an intent of the domain (categories.yml)."""


class AlreadyExample(ValueError):
    """The example is in the training data already; nothing was recorded."""


class Shown:
    """The entries of this process's recent inboxes, by key, for SHOWN_FOR_S: a decision on an entry the trainer
    was just shown takes it from here instead of harvesting 90 days again (seconds on a busy shop's PostgreSQL:
    benchmarks/trainer_inbox.py). Only what a harvest produced gets in; decided keys are checked in the record."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: Dict[str, Tuple[float, Entry]] = {}

    def keep(self, entries: List[Entry], now: float) -> None:
        with self._lock:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now - SHOWN_FOR_S}
            self._entries.update((e.key, (now, e)) for e in entries)

    def get(self, key: str, now: float) -> Optional[Entry]:
        with self._lock:
            found = self._entries.get(key)
        return found[1] if found and found[0] > now - SHOWN_FOR_S else None


@dataclass(frozen=True)
class Trainer:
    """Where the loop reads and writes: the conversations, the record, the shop's rules and the examples file."""

    tracker_url: str
    record: sessionmaker
    cfg: ShopConfig
    reviewed: ReviewedFile
    shown: Optional[Shown] = None  # the helpdesk keeps one per process; the command line has none

    def inbox(self, since: float, below: Optional[float] = None) -> List[Entry]:
        """The harvest since `since` (Unix s), without what was decided, the most frequent first."""
        below = self.cfg.handoff.unclear_below if below is None else below
        entries = harvest(self.tracker_url, self.record, self.cfg, since, below)
        if self.shown is not None:
            self.shown.keep(entries, time.time())
        with self.record() as session:
            decided = set(session.scalars(sa.select(TrainingDecision.key)))
        return [e for e in entries if e.key not in decided]

    def decide(self, key: str, intent: Optional[str], trainer: str, now: float) -> Dict[str, Any]:
        """Accept the entry as an example of `intent`, or ignore it (intent None)."""
        if intent is not None:
            check_intent(intent)
        entry = self.shown.get(key, time.time()) if self.shown is not None else None
        if entry is not None:  # shown before it was decided, maybe: the inbox would not show it now
            with self.record() as session:
                if session.get(TrainingDecision, key) is not None:
                    raise UnknownEntry(key)
        else:
            entry = next((e for e in self.inbox(now - LOOKBACK_S) if e.key == key), None)
        if entry is None:
            raise UnknownEntry(key)
        line = None
        if intent is not None:
            line = example_line(entry.text)
            there = known_examples(self.reviewed.path).get(words_of(line))
            if there is not None:
                raise AlreadyExample(f"already an example of {there[0]} in {there[1]}")
        row = TrainingDecision(key=key, text=entry.text, decision=intent or IGNORE, example=line, trainer=trainer,
                               at=now)  # fmt: skip
        try:
            with self.record.begin() as session:
                session.add(row)
                session.flush()  # a second trainer deciding the same entry fails here, before the file is touched
                in_file = self.reviewed.add(intent, line) if intent and line else self.reviewed.count()
        except IntegrityError:
            raise UnknownEntry(key) from None
        return {"key": key, "text": entry.text, "decision": intent or IGNORE, "example": line,
                "file": relative(self.reviewed.path), "examples_in_file": in_file}  # fmt: skip

    def undo(self, key: str) -> bool:
        """Take a decision back (and its example out of the file): the entry returns to the inbox."""
        with self.record.begin() as session:
            row = session.get(TrainingDecision, key)
            if row is None:
                return False
            if row.example:
                self.reviewed.remove(row.example)
            session.delete(row)
        return True

    def decisions(self, limit: int) -> List[Dict[str, Any]]:
        with self.record() as session:
            rows = session.scalars(sa.select(TrainingDecision).order_by(TrainingDecision.at.desc()).limit(limit))
            return [{"key": r.key, "text": r.text, "decision": r.decision, "trainer": r.trainer, "at": r.at,
                     "example": r.example} for r in rows]  # fmt: skip

    def tally(self) -> Dict[str, int]:
        """Decisions so far: accepted and ignored."""
        ignored = sa.func.sum(sa.case((TrainingDecision.decision == IGNORE, 1), else_=0))
        with self.record() as session:
            total, ignored = session.execute(sa.select(sa.func.count(), ignored).select_from(TrainingDecision)).one()
        return {"accepted": total - (ignored or 0), "ignored": ignored or 0}


def intents() -> List[Dict[str, str]]:
    """What a trainer or an agent may pick, by category in categories.yml's order."""
    return [{"intent": i, "category": c} for i, c in intent_categories().items() if i not in NOT_PICKABLE]


def check_intent(intent: str) -> None:
    if intent not in intent_categories() or intent in NOT_PICKABLE:
        raise UnknownIntent(intent)


def flag(record: sessionmaker, cfg: ShopConfig, said: Said, intent: str, agent: str, now: float) -> Dict[str, Any]:
    """An agent's flag on a buyer's turn (`said`, as stored): a second flag on the same turn replaces the first."""
    check_intent(intent)
    text = mask(said.text, cfg.formats.order_numbers)
    fields = {"key": key_of(text), "text": text, "guessed": said.intent, "intent": intent, "agent": agent, "at": now}
    for _ in range(2):  # two agents flagging the same turn at once: the second insert fails, and updates
        try:
            with record.begin() as session:
                row = session.scalar(
                    sa.select(TrainingFlag).where(
                        TrainingFlag.conversation_id == said.conversation, TrainingFlag.turn_at == said.at
                    )
                )
                if row is None:
                    session.add(TrainingFlag(conversation_id=said.conversation, turn_at=said.at, **fields))
                else:
                    for name, value in fields.items():
                        setattr(row, name, value)
            break
        except IntegrityError:
            continue
    return {"conversation_id": said.conversation, "at": said.at, "text": text, "intent": intent, "agent": agent}


def flags_of(record: sessionmaker, conversation_id: str) -> Dict[float, str]:
    """turn time -> flagged intent, of one conversation (the transcript shows them)."""
    with record() as session:
        rows = session.execute(
            sa.select(TrainingFlag.turn_at, TrainingFlag.intent).where(TrainingFlag.conversation_id == conversation_id)
        )
        return {float(at): intent for at, intent in rows}
