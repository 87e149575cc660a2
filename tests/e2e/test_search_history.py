"""The console's Search & history view in chromium (desktop): an agent finds a chat of 200 days ago by its order
number among 60 newer ones, and by a word the buyer wrote, reads the History of resolved chats page by page, and
opens the old chat's transcript read only. A helpdesk process of its own over a handoff record and a tracker store
written beforehand; Rasa's tracker endpoint (which the transcript is read from) is a stand-in that serves the same
conversation, so no Rasa server is needed."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, List

import pytest
from playwright.sync_api import expect

from helpdesk.payloads import agent_message_metadata
from helpdesk.record.models import Handoff, open_record
from shop import db
from tests.e2e.test_console_at_scale import log_in
from tests.helpdesk.conftest import helpdesk_env, start_redis_server  # noqa: F401 (a fixture)
from tests.helpdesk.procs import Helpdesk
from tests.helpdesk.test_search import plant_messages

DAY = 86_400.0
NOW = time.time()
OLD = "webchat-" + "5e1f0c2d" * 3
OLD_AT = NOW - 200 * DAY
TURNS = [  # the old chat as Rasa's tracker has it
    {"event": "user", "text": "where is my order A10077", "timestamp": OLD_AT - 30},
    {"event": "bot", "text": "Let me get a colleague for you.", "timestamp": OLD_AT - 29},
    {"event": "bot", "text": "Your parcel is in Rotterdam, it arrives Friday.", "timestamp": OLD_AT + 60,
     "metadata": agent_message_metadata("ben", "Ben Carter")},
]  # fmt: skip


class StandInRasa(BaseHTTPRequestHandler):
    """GET /conversations/<id>/tracker: the old chat's events; any other conversation has none."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        events = TURNS if self.path.startswith(f"/conversations/{OLD}/tracker") else []
        body = json.dumps({"sender_id": OLD, "events": events, "paused": False}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def desk_with_history(tmp_path, sqlite_shop, start_redis_server) -> Iterator[Helpdesk]:  # noqa: F811
    rasa = ThreadingHTTPServer(("127.0.0.1", 0), StandInRasa)
    threading.Thread(target=rasa.serve_forever, daemon=True).start()
    env = helpdesk_env(tmp_path, start_redis_server(tmp_path), sqlite_shop)
    env["RASA_URL"] = f"http://127.0.0.1:{rasa.server_address[1]}"
    record = open_record(env["HELPDESK_DATABASE_URL"])
    with record.begin() as session:
        session.add(Handoff(id="h-old", conversation_id=OLD, channel="webchat", customer_name="Lily Chen",
                            category="order", order_number="A10077", created_at=OLD_AT, state="resolved",
                            resolved_at=OLD_AT + 600, resolved_by="ben", rating=5))  # fmt: skip
        for i in range(60):  # newer chats, every one resolved an hour apart
            session.add(Handoff(id=f"h-{i:02d}", conversation_id=f"rest-n{i:02d}", channel="rest", category="order",
                                order_number=f"A2{i:04d}", created_at=NOW - DAY - 3600 * i, state="resolved",
                                resolved_at=NOW - DAY - 3600 * i + 300, resolved_by="amy"))  # fmt: skip
    db.close(record)
    said = [(OLD, t["timestamp"], "agent" if "metadata" in t else "buyer" if t["event"] == "user" else "bot", t["text"])
            for t in TURNS]  # fmt: skip
    plant_messages(env["TRACKER_DATABASE_URL"], said)
    service = Helpdesk(env, tmp_path / "helpdesk.log")
    yield service
    service.stop()
    rasa.shutdown()


def test_an_agent_finds_an_old_chat_by_order_number_and_reads_it(browser, desk_with_history):
    seen: List[str] = []
    ben = log_in(browser, desk_with_history, "ben", seen)
    ben.click("#history-tab")
    # the History first: resolved chats, newest first, 20 a page
    results = ben.locator("#hs-results li")
    expect(results).to_have_count(20)
    expect(ben.locator("#hs-page")).to_have_text("1–20 of 61")
    expect(results.first.locator("strong")).to_have_text("rest · rest-n00")
    for _ in range(3):
        ben.click("#hs-next")
    expect(ben.locator("#hs-page")).to_have_text("61–61 of 61")
    expect(results.first.locator("strong")).to_have_text("Lily Chen")
    expect(ben.locator("#hs-next")).to_be_disabled()

    ben.fill("#hs-q", "a10077")  # the order number, as a buyer might type it
    ben.click("#hs-form button[type=submit]")
    expect(ben.locator("#hs-page")).to_have_text("1–1 of 1")
    expect(results.first).to_contain_text("Lily Chen")
    expect(results.first).to_contain_text("matched: order")

    ben.fill("#hs-q", "rotterdam")  # a word of the agent's message
    ben.press("#hs-q", "Enter")
    expect(results).to_have_count(1)
    expect(results.first.locator(".hs-snippet")).to_contain_text("Your parcel is in Rotterdam")

    results.first.click()
    dialog = ben.locator("#hs-dialog")
    expect(dialog).to_be_visible()
    expect(ben.locator("#hs-conv-title")).to_have_text("Lily Chen")
    turns = ben.locator("#hs-transcript li")
    expect(turns).to_have_count(3)
    expect(turns.nth(0)).to_contain_text("where is my order A10077")
    expect(turns.nth(2)).to_contain_text("agent ben")
    expect(ben.locator("#hs-transcript .flag-turn")).to_have_count(0)  # read only
    assert any(url.endswith(f"/conversations/{OLD}/transcript") for url in seen)
    dialog.locator("button").click()
    expect(dialog).to_be_hidden()

    ben.fill("#hs-to", "2020-01-01")
    ben.fill("#hs-from", "2020-02-01")
    ben.click("#hs-form button[type=submit]")
    expect(ben.locator("#hs-error")).to_contain_text("'from' is after 'to'")
