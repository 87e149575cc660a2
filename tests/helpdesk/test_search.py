"""GET /search (helpdesk/record/search.py, helpdesk/web/search_api.py), served in-process with the handoff record and
Rasa's tracker store on real SQLite, then on the machine's PostgreSQL (one schema holds both, as it may in
production): each criterion, the messages' words (a buyer's, an agent's, Chinese ones kept as JSON escapes), LIKE's
wildcards taken literally, masked snippets, dates, state, channel, the History's pages, the bound on how many
conversations' messages are read, bad input and who may ask."""

from __future__ import annotations

from datetime import datetime
from typing import Iterator, List, Tuple
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from connectors.stores import KefuTrackerStore
from helpdesk.payloads import agent_message_metadata
from helpdesk.record import accounts, search
from helpdesk.record.models import Handoff, open_record
from shop import db
from tests.helpdesk.conftest import PASSWORD, helpdesk_env
from tests.helpdesk.served import ServedApp
from tests.helpdesk.test_console_api import Console

DAY = 86_400.0
NOW = datetime(2026, 11, 30, 12, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
OLD = "webchat-" + "9f3c2a71" * 3  # a web chat of 200 days ago, found by its order number
MARKET = "marketplace:c-1001"
WAITING = "rest-complaint-1"
# (conversation, seconds after its handoff, who, text)
MESSAGES: List[Tuple[str, float, str, str]] = [
    (OLD, -30, "buyer", "where is my order A10001"),
    (OLD, 60, "agent", "Your parcel left Shenzhen this morning"),
    (MARKET, -20, "buyer", "我要退货，the zipper broke. Mail me at lily.chen@example.com"),
    (MARKET, 30, "bot", "Sorry to hear that!"),
]


def handoffs() -> List[Handoff]:
    rows = [
        Handoff(id="h-old", conversation_id=OLD, channel="webchat", customer="", customer_name="Lily Chen",
                category="order", order_number="A10001", created_at=NOW - 200 * DAY, state="resolved",
                agent=None, resolved_by="ben", resolved_at=NOW - 200 * DAY + 600, rating=5),
        Handoff(id="h-market", conversation_id=MARKET, channel="marketplace", customer="buyer-77",
                category="returns", created_at=NOW - 10 * DAY, state="resolved", resolved_by="amy",
                resolved_at=NOW - 10 * DAY + 300),
        Handoff(id="h-waiting", conversation_id=WAITING, channel="rest", category="complaint",
                summary="box arrived 100% crushed, damaged_box photo sent", created_at=NOW - 60, state="waiting"),
    ]  # fmt: skip
    for i in range(45):  # yesterday's resolved chats, one a minute: the History's pages
        rows.append(Handoff(id=f"h-f{i:02d}", conversation_id=f"rest-f{i:02d}", channel="rest", category="order",
                            created_at=NOW - DAY + 60 * i, state="resolved", resolved_at=NOW - DAY + 60 * i + 30,
                            resolved_by="amy"))  # fmt: skip
    return rows


def plant_messages(tracker_url: str, messages: List[Tuple[str, float, str, str]]) -> None:
    """(conversation, Unix s, buyer|bot|agent, text) as Rasa's tracker store keeps them."""
    store = KefuTrackerStore(Domain.empty(), host=tracker_url)
    trackers = {}
    for cid, at, who, text in messages:
        tracker = trackers.setdefault(cid, DialogueStateTracker(cid, []))
        if who == "buyer":
            guess = {"name": "order_status", "confidence": 0.9}
            tracker.update(UserUttered(text, guess, timestamp=at, parse_data={"text": text, "intent": guess}))
        else:
            metadata = agent_message_metadata("ben", "Ben Carter") if who == "agent" else {}
            tracker.update(BotUttered(text, metadata=metadata, timestamp=at))
    for tracker in trackers.values():
        store._write(tracker)  # what save() stores, without an event loop (a browser test's Playwright holds one)
    store.engine.dispose()


@pytest.fixture
def served(tmp_path, sqlite_shop, start_redis_server, helpdesk_db) -> Iterator[ServedApp]:
    env = helpdesk_env(tmp_path, start_redis_server(tmp_path), sqlite_shop)
    env["HELPDESK_DATABASE_URL"] = env["TRACKER_DATABASE_URL"] = helpdesk_db
    record = open_record(helpdesk_db)
    with record.begin() as session:
        for agent in ("amy", "ben", "tina"):
            accounts.set_password(session, agent, PASSWORD)
        session.add_all(handoffs())
    db.close(record)
    created = {h.conversation_id: h.created_at for h in handoffs()}
    plant_messages(helpdesk_db, [(cid, created[cid] + dt, who, text) for cid, dt, who, text in MESSAGES])
    app = ServedApp(env)
    yield app
    app.close()


def found(app: ServedApp, query: str) -> List[str]:
    r = app.get(f"/search?{query}")
    assert r.status == 200, r.text
    return [row["handoff_id"] for row in r.json["results"]]


def test_each_criterion(served):
    lily = served.get("/search?q=lily+chen").json["results"]
    assert [(r["handoff_id"], r["title"], r["matched"], r["state"], r["agent"]) for r in lily] == [
        ("h-old", "Lily Chen", "name", "resolved", "ben")
    ]
    assert lily[0]["conversation_id"] == OLD and lily[0]["snippet"] == ""
    by_order = served.get("/search?q=a10001").json["results"]  # the order number, whatever its case
    assert [(r["handoff_id"], r["matched"]) for r in by_order] == [("h-old", "order")]
    assert [(r["handoff_id"], r["matched"]) for r in served.get("/search?q=BUYER-77").json["results"]] == [
        ("h-market", "customer")
    ]
    assert found(served, "q=c-1001") == ["h-market"]  # the conversation id
    market = served.get("/search?q=marketplace").json["results"][0]
    assert market["title"] == "marketplace · c-1001" and market["channel"] == "marketplace"


def test_the_words_of_the_messages(served):
    zipper = served.get("/search?q=ZIPPER").json
    assert zipper["messages_since"] is None and zipper["messages_unavailable"] is False
    [row] = zipper["results"]
    assert (row["handoff_id"], row["matched"]) == ("h-market", "message")
    assert "the zipper broke" in row["snippet"] and "[email]" in row["snippet"] and "lily" not in row["snippet"]
    assert found(served, "q=" + quote("退货")) == ["h-market"]  # stored as \u9000\u8d27 in the JSON
    assert found(served, "q=shenzhen") == ["h-old"]  # an agent's message
    assert found(served, "q=order_status") == []  # in the stored JSON (the intent), not in any message
    assert found(served, "q=sorry+to+hear") == ["h-market"]  # the bot's


def test_wildcards_are_literal(served):
    assert found(served, "q=" + quote("100%")) == ["h-waiting"]
    assert found(served, "q=" + quote("%")) == ["h-waiting"]
    assert found(served, "q=1_0") == []  # "_" is not any character (the summary says 100%)
    assert found(served, "q=damaged_box") == ["h-waiting"]
    assert found(served, "q=" + quote("\\")) == []


def test_dates_state_and_channel(served):
    assert found(served, "from=2026-11-20&to=2026-11-20") == ["h-market"]  # ten days before NOW, Shanghai time
    assert found(served, "to=2026-06-01") == ["h-old"]
    assert found(served, "from=2026-11-30") == ["h-waiting"]
    assert found(served, "state=waiting") == ["h-waiting"]
    assert found(served, "channel=marketplace") == ["h-market"]
    assert found(served, "q=zipper&channel=rest") == []
    assert found(served, "q=zipper&state=waiting") == []


def test_the_history_pages_newest_first(served):
    pages = [served.get(f"/search?state=resolved&page={n}").json for n in (1, 2, 3, 4)]
    assert [len(p["results"]) for p in pages] == [20, 20, 7, 0] and pages[0]["total"] == 47
    ids = [r["handoff_id"] for p in pages for r in p["results"]]
    assert ids == [f"h-f{i:02d}" for i in range(44, -1, -1)] + ["h-market", "h-old"]
    assert {r["matched"] for p in pages for r in p["results"]} == {""}
    assert len(served.get("/search?state=resolved&per_page=100").json["results"]) == 47


def test_messages_are_read_in_the_newest_conversations_only(served, monkeypatch):
    monkeypatch.setattr(search, "MESSAGE_SCAN", 10)
    body = served.get("/search?q=shenzhen").json
    assert body["results"] == [] and body["messages_since"] is not None
    assert found(served, "q=shenzhen&to=2026-06-01") == ["h-old"]  # the dates move the window back
    assert found(served, "q=A10001") == ["h-old"]  # the record's columns are searched however old


@pytest.mark.parametrize(
    "query,error",
    [
        ("q=" + "x" * 101, "bad_field"),
        ("q=a%07b", "bad_field"),
        ("q=a%00b", "bad_field"),  # PostgreSQL text cannot hold NUL
        ("q=a&q=b", "bad_field"),
        ("state=lost", "bad_field"),
        ("channel=" + "c" * 41, "bad_field"),
        ("page=0", "bad_field"),
        ("page=501", "bad_field"),
        ("per_page=101", "bad_field"),
        ("per_page=ten", "bad_field"),
        ("from=2026-13-01", "bad_period"),
        ("to=yesterday", "bad_period"),
        ("from=2026-11-02&to=2026-11-01", "bad_period"),
    ],
)
def test_bad_input_is_a_400(served, query, error):
    r = served.get(f"/search?{query}")
    assert (r.status, r.json["error"]) == (400, error), r.text
    assert r.json["reason"] and "Traceback" not in r.text


def test_who_may_search(served):
    assert served.get("/search?q=lily+chen", auth=False).status == 401
    for agent in ("ben", "amy"):  # an agent, a supervisor
        r = Console(served, agent).get("/search?q=lily+chen")
        assert r.status_code == 200 and r.json["total"] == 1


def test_a_chat_handed_off_now_is_found_by_its_buyers_name(served):
    """Through the queue and the recorder, as a real handoff: the buyer's name reaches the record."""
    body = {"conversation_id": "webchat:new-1", "channel": "webchat", "language": "en", "category": "order",
            "customer_name": "Zhang Wei", "order_number": "A10099"}  # fmt: skip
    assert served.post("/handoffs", body).status == 201
    served.sweep()  # copies the event stream into SQL
    [row] = served.get("/search?q=zhang").json["results"]
    seen = (row["conversation_id"], row["title"], row["state"], row["matched"])
    assert seen == ("webchat:new-1", "Zhang Wei", "waiting", "name")
    assert found(served, "q=a10099") == [row["handoff_id"]]


def test_the_record_is_searched_when_the_tracker_store_is_down(tmp_path, sqlite_shop, start_redis_server):
    env = helpdesk_env(tmp_path, start_redis_server(tmp_path), sqlite_shop)
    env["TRACKER_DATABASE_URL"] = "postgresql://postgres@127.0.0.1:1/nowhere"  # nothing listens
    record = open_record(env["HELPDESK_DATABASE_URL"])
    with record.begin() as session:
        session.add_all(handoffs())
    db.close(record)
    app = ServedApp(env)
    try:
        body = app.get("/search?q=lily+chen").json
        assert body["messages_unavailable"] is True and [r["handoff_id"] for r in body["results"]] == ["h-old"]
        assert app.get("/search?state=resolved").json["messages_unavailable"] is False  # no words: no messages read
    finally:
        app.close()
