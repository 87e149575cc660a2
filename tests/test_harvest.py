"""The trainer's harvest (helpdesk/training/harvest.py) on a real Rasa SQL tracker store holding generated
conversations and a real handoff record, on SQLite and on PostgreSQL: it finds exactly the planted misses, counts
repeats once per distinct text, and leaves no email, phone, order number or name in what it shows."""

from __future__ import annotations

import json
import re
from typing import Iterator, Tuple

import pytest
from sqlalchemy.orm import sessionmaker

from helpdesk.record.models import open_record
from helpdesk.training import harvest
from scripts import trainer
from shop import db
from shop.config import load_shop_config
from shop.formats import EMAIL
from shop.masking import mask
from shop.settings import ROOT
from tests.conftest import postgres_schema
from tests.missed import OLD, PLANTED, T0, UNDERSTOOD, plant, record_handoffs

CFG = load_shop_config(ROOT / "shop.yml")


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request, tmp_path) -> Iterator[Tuple[str, sessionmaker, str]]:
    """(tracker store URL, the record, its URL) holding the generated conversations, on SQLite then PostgreSQL."""
    if request.param == "sqlite":
        tracker_url, helpdesk_url = f"sqlite:///{tmp_path / 'tracker.db'}", f"sqlite:///{tmp_path / 'helpdesk.db'}"
        yield from _filled(tracker_url, helpdesk_url)
        return
    with postgres_schema("kefu_trk") as tracker_url, postgres_schema("kefu_hd") as helpdesk_url:
        yield from _filled(tracker_url, helpdesk_url)


def _filled(tracker_url: str, helpdesk_url: str) -> Iterator[Tuple[str, sessionmaker, str]]:
    plant(tracker_url, UNDERSTOOD + PLANTED + OLD)
    record = open_record(helpdesk_url)
    record_handoffs(record)
    yield tracker_url, record, helpdesk_url
    db.close(record)


def test_the_harvest_finds_exactly_the_planted_misses(stores):
    tracker_url, record, _ = stores
    entries = harvest.harvest(tracker_url, record, CFG, since=T0 - 86_400, below=CFG.handoff.unclear_below)
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
    tracker_url, _, helpdesk_url = stores
    monkeypatch.setenv("TRACKER_DATABASE_URL", tracker_url)
    monkeypatch.setenv("HELPDESK_DATABASE_URL", helpdesk_url)
    monkeypatch.setattr(trainer.time, "time", lambda: T0 + 3600)
    assert trainer.main(["inbox", "--since", "2d", "--json"]) == 0
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
