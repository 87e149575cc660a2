"""The reports' conversations come from Rasa's event stream: the helpdesk's event broker turns a buyer's messages and
a proven order into one Conversation row (channel, language, category, verified buyer, order), which the figures
then count. Events are published to the broker as Rasa publishes them; the record is the real copier's."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select

from connectors.helpdesk_broker import HelpdeskEventBroker
from helpdesk.record.models import Conversation
from helpdesk.record.recorder import copy_events
from helpdesk.reports.period import Period
from helpdesk.reports.report import report
from shop.config import load_shop_config
from shop.settings import ROOT
from shop.trust import claim
from tests.helpdesk import conftest as desk_fixtures

SECRET = "reports-test-secret"
SENDER = "marketplace:buyer-77"


def user(text: str, intent: str, language: str, metadata: dict | None = None) -> dict:
    entities = [{"entity": "language", "value": language}]
    parse_data = {"intent": {"name": intent, "confidence": 0.9}, "entities": entities}
    return {"event": "user", "sender_id": SENDER, "text": text, "input_channel": "marketplace",
            "parse_data": parse_data, "metadata": metadata or {}}  # fmt: skip


def test_broker_events_become_a_conversation_of_the_reports(make_desk, clock, record_db):
    desk = make_desk()
    broker = HelpdeskEventBroker(desk.queue, channel_secret=SECRET)
    broker.publish(user("我的快递到哪了", "track_order", "zh", claim(SECRET, SENDER, "mkt-buyer-1001")))
    clock.advance(30)
    broker.publish({"event": "slot", "sender_id": SENDER, "name": "verified_orders", "value": ["A10001"]})
    clock.advance(30)
    broker.publish(user("还有退货", "return_request", "zh"))  # the same session: no new conversation
    broker.publish({"event": "user", "sender_id": "rest:forged", "text": "hi", "input_channel": "rest",
                    "metadata": {"kefu_verified": {"customer_id": "mkt-buyer-1002", "sig": "0" * 64}}})  # fmt: skip
    broker.publish({"event": "bot", "sender_id": SENDER, "text": "在路上"})  # the bot's turns start nothing
    copy_events(desk.redis, record_db)

    with record_db() as session:
        rows = {c.conversation_id: c for c in session.scalars(select(Conversation))}
    assert set(rows) == {SENDER, "rest:forged"}
    mine = rows[SENDER]
    assert (mine.channel, mine.language, mine.category, mine.customer, mine.order_number) == (
        "marketplace", "zh", "order", "mkt-buyer-1001", "A10001",
    )  # fmt: skip
    assert mine.started_at == desk_fixtures.Clock().now and mine.handoff_id is None
    forged = rows["rest:forged"]
    assert (forged.channel, forged.customer, forged.category, forged.language) == ("rest", "", "", "")

    cfg = load_shop_config(ROOT / "shop.yml")
    day = Period(date(2027, 1, 15), date(2027, 1, 15), ZoneInfo(cfg.shop.timezone))  # the test clock's day
    figures = report(record_db, cfg, day, "channel", None)
    assert figures["totals"]["conversations"] == 2 and figures["totals"]["containment"] == 1.0
    assert [(g["key"], g["conversations"]) for g in figures["groups"]] == [("marketplace", 1), ("rest", 1)]
