"""The trainer's harvest (scripts/harvest.py) on a real Rasa SQL tracker store holding generated conversations and
a real handoff record: it finds exactly the planted misses, counts repeats once per distinct text, and leaves no
email, phone, order number or name in what it shows."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import List, Tuple

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from helpdesk.record.models import Handoff, open_record
from scripts import harvest
from shop import db
from shop.config import load_shop_config
from shop.formats import EMAIL
from shop.masking import mask
from shop.settings import ROOT

CFG = load_shop_config(ROOT / "shop.yml")
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


def _store(path: Path, said: List[Said]) -> str:
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    trackers = {}
    for cid, dt, text, intent, confidence in sorted(said, key=lambda s: s[1]):
        tracker = trackers.setdefault(cid, DialogueStateTracker(cid, []))
        guess = {"name": intent, "confidence": confidence}
        parsed = {"text": text, "intent": guess}
        tracker.update(UserUttered(text, guess, timestamp=T0 + dt, parse_data=parsed))
    for tracker in trackers.values():
        asyncio.run(store.save(tracker))
    store.engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture
def stores(tmp_path) -> Tuple[str, str]:
    tracker_url = _store(tmp_path / "tracker.db", UNDERSTOOD + PLANTED + OLD)
    helpdesk_url = f"sqlite:///{tmp_path / 'helpdesk.db'}"
    record = open_record(helpdesk_url)
    with record.begin() as session:
        session.add(Handoff(id="h-1", conversation_id="c-fail", created_at=T0 + 61, state="resolved",
                            reason="bot_failed", category="other"))  # fmt: skip
        session.add(Handoff(id="h-2", conversation_id="c-ok", created_at=T0 + 3, state="resolved",
                            reason="requested", category="human"))  # fmt: skip
    db.close(record)
    return tracker_url, helpdesk_url


def test_the_harvest_finds_exactly_the_planted_misses(stores):
    entries = harvest.harvest(*stores, CFG, since=T0 - 86_400, below=CFG.handoff.unclear_below)
    got = {e.text: (e.count, dict(e.why), e.conversations) for e in entries}
    assert got == {
        "can i pay with my grandma's card": (2, {"fallback": 1, "low_confidence": 1}, ["c-a", "c-b"]),
        "what's your tiktok": (1, {"out_of_scope": 1}, ["c-a"]),
        "the thing with the stuff": (1, {"before_handoff": 1}, ["c-fail"]),
        "my name is [name], call [phone] or mail [email] about [order]": (1, {"before_handoff": 1}, ["c-fail"]),
    }
    assert entries[0].text == "can i pay with my grandma's card"  # the most frequent first
    assert entries[0].guesses == {"nlu_fallback": 1, "payment_failed": 1}


def test_nothing_personal_is_left_and_the_command_line_prints_json(stores, monkeypatch, capsys):
    tracker_url, helpdesk_url = stores
    monkeypatch.setenv("TRACKER_DATABASE_URL", tracker_url)
    monkeypatch.setenv("HELPDESK_DATABASE_URL", helpdesk_url)
    monkeypatch.setattr(harvest.time, "time", lambda: T0 + 3600)
    assert harvest.main(["--since", "2d", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 4 and lines[0]["count"] == 2
    assert lines[0]["conversations"][0] == {"id": "c-a", "transcript": "/conversations/c-a/transcript"}
    shown = " ".join(line["text"] for line in lines)
    assert not re.search(EMAIL, shown) and not re.search(r"\d{7,}", shown)
    assert "Lily" not in shown and "A10001" not in shown


@pytest.mark.parametrize(
    "text, masked",
    [
        ("my email is Lily.Chen+1@example.co.uk", "my email is [email]"),
        ("call me on +86 138 0123 4567 pls", "call me on [phone] pls"),
        ("uk number 07700 900123", "uk number [phone]"),
        ("where is #a10293", "where is [order]"),
        ("I'm Ben Carter, order A10007", "I'm [name], order [order]"),
        ("I am waiting for my parcel", "I am waiting for my parcel"),  # no name there
        ("我叫陈静，手机13812345678", "我叫[name]，手机[phone]"),
        ("收件人：王小明 地址不对", "收件人：[name] 地址不对"),
    ],
)
def test_masking(text, masked):
    assert mask(text, CFG.formats.order_numbers) == masked


def test_a_bad_since_is_refused():
    with pytest.raises(ValueError):
        harvest.parse_since("seven days")
    assert harvest.parse_since("2w") == 14 * 86_400
