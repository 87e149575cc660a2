"""Generated conversations for the trainer's loop: buyer messages the bot understood and messages it missed, planted
in a real Rasa SQL tracker store (kefu's, on SQLite or PostgreSQL), and a real handoff record beside it."""

from __future__ import annotations

import asyncio
from typing import List, Tuple

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker

from connectors.stores import KefuTrackerStore
from helpdesk.record.models import Handoff

T0 = 1_800_000_000.0

# (conversation, seconds after T0, text, guessed intent, confidence)
Said = Tuple[str, float, str, str, float]
UNDERSTOOD: List[Said] = [
    ("c-ok", 1, "where is my order A10002", "order_status", 0.97),
    ("c-ok", 2, "lily.chen@example.com", "inform_email", 0.99),
    ("c-fail", 10, "do you ship to mars", "shipping_time", 0.93),  # understood, but the handoff's last two are not
]
PLANTED: List[Said] = [
    ("c-a", 20, "can i pay with my grandma's card", "nlu_fallback", 0.31),
    ("c-b", 30, "Can I pay with my grandma's   card", "payment_failed", 0.42),  # the same, low confidence
    ("c-a", 40, "what's your tiktok", "out_of_scope", 0.88),
    ("c-fail", 50, "the thing with the stuff", "greet", 0.65),  # before the bot_failed handoff
    (
        "c-fail",
        60,
        "my name is Lily Chen, call 13812345678 or mail lily.chen@example.com about A10001",
        "product_stock",
        0.71,
    ),  # fmt: skip
]
OLD: List[Said] = [("c-old", -10 * 86_400, "some ancient gibberish", "nlu_fallback", 0.2)]  # before --since


def plant(tracker_url: str, said: List[Said]) -> None:
    """The buyer messages as Rasa stores them (user events with their parse data)."""
    store = KefuTrackerStore(Domain.empty(), host=tracker_url)
    trackers = {}
    for cid, dt, text, intent, confidence in sorted(said, key=lambda s: s[1]):
        tracker = trackers.setdefault(cid, DialogueStateTracker(cid, []))
        guess = {"name": intent, "confidence": confidence}
        tracker.update(UserUttered(text, guess, timestamp=T0 + dt, parse_data={"text": text, "intent": guess}))
    for tracker in trackers.values():
        asyncio.run(store.save(tracker))
    store.engine.dispose()


def record_handoffs(record: sessionmaker) -> None:
    """c-fail went to a person because the bot did not understand; c-ok because the buyer asked."""
    with record.begin() as session:
        session.add(Handoff(id="h-1", conversation_id="c-fail", created_at=T0 + 61, state="resolved",
                            reason="bot_failed", category="other"))  # fmt: skip
        session.add(Handoff(id="h-2", conversation_id="c-ok", created_at=T0 + 3, state="resolved",
                            reason="requested", category="human"))  # fmt: skip
