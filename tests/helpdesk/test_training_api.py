"""The trainer's loop over HTTP (helpdesk/web/training_api.py), served in-process on a real Redis, a real SQL record
and a real Rasa tracker store holding generated conversations: who may see the inbox, accepting and ignoring
entries, the examples file it writes (and that Rasa reads), undo, agents' flags, and bad requests."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from helpdesk.record.models import open_record
from helpdesk.training import inbox as loop
from helpdesk.training.examples import ReviewedFile
from helpdesk.training.harvest import Said, key_of
from shop import db
from shop.config import load_shop_config
from shop.settings import Settings
from tests.helpdesk.conftest import PASSWORD, helpdesk_env
from tests.helpdesk.served import ServedApp
from tests.missed import PLANTED, T0, UNDERSTOOD, plant, record_handoffs

HOSTILE = "[evil](product) {order_number} wants\x07 a   refund"
KNOWN = "wheres my parcel"  # an example of order_status in data/nlu/real_en_shop.yml
EXTRA = [("c-h", 70, HOSTILE, "nlu_fallback", 0.2), ("c-k", 80, KNOWN, "nlu_fallback", 0.3)]
CARD = key_of("can i pay with my grandma's card")


@pytest.fixture
def served(tmp_path, sqlite_shop, start_redis_server) -> Iterator[ServedApp]:
    env = helpdesk_env(tmp_path, start_redis_server(tmp_path), sqlite_shop)
    env["KEFU_REVIEWED_NLU"] = str(tmp_path / "nlu" / "reviewed.yml")  # a folder the file makes
    plant(env["TRACKER_DATABASE_URL"], UNDERSTOOD + PLANTED + EXTRA)
    record = open_record(env["HELPDESK_DATABASE_URL"])
    record_handoffs(record)
    db.close(record)
    app = ServedApp(env)
    app.env = env
    yield app
    app.close()


def login(app: ServedApp, agent: str) -> Dict[str, str]:
    """Log in over HTTP; the headers of a console request (its cookie is kept by the client)."""
    r = app.post("/auth/login", {"agent": agent, "password": PASSWORD}, auth=False)
    assert r.status == 200, r.text
    return {"X-CSRF-Token": r.json["csrf"], "Cookie": f"kefu_session={r.cookies['kefu_session']}"}


def as_person(app: ServedApp, method: str, path: str, headers: Dict[str, str], body=None):
    kwargs = {"json": body} if body is not None else {}
    return app.request(method, path, auth=False, headers=headers, **kwargs)


def inbox_texts(app: ServedApp, headers: Dict[str, str]) -> List[str]:
    r = as_person(app, "get", "/training/inbox?since=90d", headers)
    assert r.status == 200, r.text
    return [e["text"] for e in r.json["entries"]]


def test_only_trainers_and_supervisors_see_the_inbox(served):
    tina, amy, ben = login(served, "tina"), login(served, "amy"), login(served, "ben")
    r = as_person(served, "get", "/training/inbox?since=90d", tina)
    assert r.status == 200
    body = r.json
    assert body["total"] == 6 and body["entries"][0]["key"] == CARD and body["entries"][0]["count"] == 2
    assert {"intent": "order_status", "category": "order"} in body["intents"]
    assert body["file"].endswith("reviewed.yml") and body["examples_in_file"] == 0
    assert as_person(served, "get", "/training/inbox?since=90d", amy).status == 200
    r = as_person(served, "get", "/training/inbox", ben)
    assert (r.status, r.json["error"]) == (403, "not_trainer")
    assert served.get("/training/inbox?since=90d").status == 200  # the service token reads it
    r = served.post("/training/decisions", {"key": CARD, "ignore": True})  # a decision is a person's
    assert (r.status, r.json["error"]) == (401, "login_required")


def test_accepting_writes_an_example_rasa_reads_and_undo_takes_it_back(served):
    tina = login(served, "tina")
    r = as_person(served, "post", "/training/decisions", tina, {"key": CARD, "intent": "payment_methods"})
    assert r.status == 201, r.text
    assert r.json["example"] == "can i pay with my grandma's card" and r.json["examples_in_file"] == 1
    masked = key_of("my name is [name], call [phone] or mail [email] about [order]")
    r = as_person(served, "post", "/training/decisions", tina, {"key": masked, "intent": "inform_phone"})
    assert r.status == 201, r.text
    assert r.json["example"] == ("my name is Sam, call [555-010-0199](phone) or mail [buyer@example.com](email) "
                                 "about [{order_number}](order_number)")  # fmt: skip
    path = Path(served.env["KEFU_REVIEWED_NLU"])
    data = load_data(str(path))
    assert {(m.get("text"), m.get("intent")) for m in data.intent_examples} >= {
        ("can i pay with my grandma's card", "payment_methods")
    }
    assert "can i pay with my grandma's card" not in [t.casefold() for t in inbox_texts(served, tina)]
    r = as_person(served, "get", "/training/decisions", tina)
    assert [d["decision"] for d in r.json["decisions"]] == ["inform_phone", "payment_methods"]
    assert r.json["decisions"][0]["trainer"] == "tina"
    # decided meanwhile (another trainer's tab): refused, nothing written twice
    r = as_person(served, "post", "/training/decisions", tina, {"key": CARD, "intent": "coupon"})
    assert (r.status, r.json["error"]) == (404, "unknown_entry")
    r = as_person(served, "delete", f"/training/decisions/{CARD}", tina)
    assert r.status == 200 and r.json == {"undone": CARD}
    assert "grandma" not in path.read_text() and "buyer@example.com" in path.read_text()
    assert any("grandma" in t for t in inbox_texts(served, tina))
    assert as_person(served, "delete", f"/training/decisions/{CARD}", tina).status == 404


def test_ignore_known_examples_and_hostile_text(served):
    tina = login(served, "tina")
    r = as_person(served, "post", "/training/decisions", tina, {"key": key_of("what's your tiktok"), "ignore": True})
    assert r.status == 201 and r.json["decision"] == "ignore" and r.json["example"] is None
    assert not Path(served.env["KEFU_REVIEWED_NLU"]).exists()
    r = as_person(served, "post", "/training/decisions", tina, {"key": key_of(KNOWN), "intent": "order_status"})
    assert (r.status, r.json["error"]) == (409, "already_example") and "real_en_shop.yml" in r.json["reason"]
    r = as_person(served, "post", "/training/decisions", tina, {"key": key_of(HOSTILE), "intent": "refund_status"})
    assert r.status == 201, r.text
    assert r.json["example"] == "(evil)(product) (order_number) wants a refund"  # no entity, no placeholder
    (example,) = load_data(served.env["KEFU_REVIEWED_NLU"]).intent_examples
    assert not example.get("entities")


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"key": CARD}, 400, "need_intent_or_ignore"),
        ({"key": CARD, "intent": "coupon", "ignore": True}, 400, "need_intent_or_ignore"),
        ({"key": CARD, "intent": "No Such!"}, 400, "unknown_intent"),
        ({"key": CARD, "intent": "make_coffee"}, 400, "unknown_intent"),
        ({"key": CARD, "intent": "nlu_fallback"}, 400, "unknown_intent"),
        ({"key": "zz", "ignore": True}, 400, "bad_field"),
        ({"key": CARD, "ignore": False}, 400, "bad_field"),
        ({"key": "0123456789abcdef", "ignore": True}, 404, "unknown_entry"),
    ],
)
def test_bad_decisions_are_refused(served, body, status, code):
    r = as_person(served, "post", "/training/decisions", login(served, "tina"), body)
    assert (r.status, r.json["error"]) == (status, code)


@pytest.mark.parametrize("query", ["since=7", "since=100d", "since=7d&since=2d", "limit=0", "limit=x"])
def test_bad_inbox_queries_are_refused(served, query):
    r = served.get(f"/training/inbox?{query}")
    assert (r.status, r.json["error"]) == (400, "bad_field")


def test_an_agents_flag_carries_its_intent_to_the_inbox(served):
    settings = Settings.from_env(served.env)
    record = open_record(settings.helpdesk_database_url)
    cfg = load_shop_config(settings.shop_config)
    said = Said("c-ok", T0 + 1, "where is my order A10002", "order_status", 0.97)  # understood, yet wrong
    first = loop.flag(record, cfg, said, "track_order", "ben", T0 + 100)
    assert first["text"] == "where is my order [order]"
    loop.flag(record, cfg, said, "order_status", "chen", T0 + 200)  # the same turn again: replaced
    db.close(record)
    entries = served.get("/training/inbox?since=90d").json["entries"]
    (entry,) = [e for e in entries if e["text"] == "where is my order [order]"]
    assert (entry["suggested"], entry["flagged_by"], entry["why"]) == ("order_status", ["chen"], {"flagged": 1})
    ben = login(served, "ben")  # over HTTP: the intent is checked first; then the turn, from Rasa (down here)
    r = as_person(served, "post", "/conversations/c-ok/flags", ben, {"at": T0 + 1, "intent": "make_coffee"})
    assert (r.status, r.json["error"]) == (400, "unknown_intent")
    r = as_person(served, "post", "/conversations/c-ok/flags", ben, {"at": T0 + 1, "intent": "order_status"})
    assert (r.status, r.json["error"]) == (502, "rasa_unavailable")
    r = as_person(served, "post", "/conversations/c-ok/flags", ben, {"at": "soon", "intent": "order_status"})
    assert (r.status, r.json["error"]) == (400, "bad_field")
    r = served.post("/conversations/c-ok/flags", {"at": T0 + 1, "intent": "order_status"})  # the token: no person
    assert (r.status, r.json["error"]) == (401, "login_required")


def _accept(args) -> int:
    """One trainer process accepting one entry (the file is shared by every helpdesk process)."""
    env, key, intent = args
    settings = Settings.from_env(env)
    record = open_record(settings.helpdesk_database_url)
    trainer = loop.Trainer(settings.tracker_database_url, record, load_shop_config(settings.shop_config),
                           ReviewedFile(settings.reviewed_nlu))  # fmt: skip
    try:
        return trainer.decide(key, intent, "tina", T0 + 500)["examples_in_file"]
    finally:
        db.close(record)


def test_trainers_in_several_processes_lose_no_example(served):
    picks = [(CARD, "payment_methods"), (key_of("the thing with the stuff"), "product_stock"),
             (key_of("what's your tiktok"), "bot_challenge"), (key_of(HOSTILE), "refund_status")]  # fmt: skip
    with mp.get_context("spawn").Pool(4) as pool:
        counts = pool.map(_accept, [(served.env, key, intent) for key, intent in picks])
    assert sorted(counts) == [1, 2, 3, 4]
    written = yaml.safe_load(Path(served.env["KEFU_REVIEWED_NLU"]).read_text())["nlu"]
    assert sorted(block["intent"] for block in written) == sorted(intent for _, intent in picks)
