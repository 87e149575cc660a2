"""The demo's seeded history (scripts/seed_history.py), on SQLite and then on PostgreSQL: seeded once however often it
runs, rows as the recorder writes them, the shape a supervisor expects (busy evenings, quiet nights, a third of the
chats handed off, agents of different speeds), and the reports over it in a sensible range."""

from __future__ import annotations

import random
import statistics
import sys
from collections import Counter
from datetime import datetime
from typing import Dict, Iterator, List, Tuple
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.record.events import open_handoffs
from helpdesk.record.models import Conversation, Handoff, HandoffEvent, QaFinding, open_record
from helpdesk.reports.period import parse_period
from helpdesk.reports.quality import quality_report
from helpdesk.reports.report import report
from helpdesk.reports.staffing import staffing_plan
from scripts import seed_history as history
from scripts.seed_shop import seed
from shop.config import load_shop_config
from shop.db import close, make_engine
from shop.models import Customer, Order
from shop.repository import ShopRepository
from shop.settings import ROOT
from tests.conftest import postgres_schema

CFG = load_shop_config(ROOT / "shop.yml")
TZ = ZoneInfo(CFG.shop.timezone)
NOW = 1_800_000_000.0  # 2027-01-15 16:00 in Shanghai
WEEKS = 1
AGENTS = {a.id for a in CFG.helpdesk.chat_agents}


def shop_at(url: str) -> str:
    seed(url, now=datetime.utcfromtimestamp(NOW), reset=True)
    return url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(request, tmp_path_factory) -> Iterator[Tuple[sessionmaker, str, Dict[str, int]]]:
    """A week of history ending at NOW in a fresh record, its orders in a fresh demo shop."""
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("history")
        record, shop = open_record(f"sqlite:///{folder / 'helpdesk.db'}"), shop_at(f"sqlite:///{folder / 'shop.db'}")
        yield record, shop, history.seed_history(record, CFG, now=NOW, weeks=WEEKS, shop_url=shop)
        close(record)
        return
    with postgres_schema("kefu_history") as url:
        record = open_record(url)
        yield record, shop_at(url), history.seed_history(record, CFG, now=NOW, weeks=WEEKS, shop_url=url)
        close(record)


def counts(record: sessionmaker, shop: str) -> Dict[str, int]:
    with record() as s:
        found = {model.__tablename__: s.scalar(select(func.count()).select_from(model))
                 for model in (Conversation, Handoff, HandoffEvent, QaFinding)}  # fmt: skip
    engine = make_engine(shop)
    with Session(engine) as s:
        found["orders"] = s.scalar(select(func.count()).select_from(Order))
    engine.dispose()
    return found


def test_seeding_again_adds_nothing(seeded):
    record, shop, added = seeded
    assert added["conversations"] > 500 and added["handoffs"] > 100 and added["orders"] > 0
    before = counts(record, shop)
    assert history.seed_history(record, CFG, now=NOW + 3600, weeks=WEEKS, shop_url=shop) == dict.fromkeys(added, 0)
    assert counts(record, shop) == before


def test_the_rows_are_what_the_recorder_writes(seeded):
    record, _, added = seeded
    with record() as s:
        handoffs = {h.id: h for h in s.scalars(select(Handoff))}
        events = s.scalars(select(HandoffEvent).order_by(HandoffEvent.id)).all()
        conversations = s.scalars(select(Conversation)).all()
        assert open_handoffs(s) == []  # nothing live: Redis has nothing to be rebuilt with
    assert len(handoffs) == added["handoffs"] and len(conversations) == added["conversations"]
    assert len(events) == added["events"]
    by_handoff: Dict[str, List[HandoffEvent]] = {}
    for e in events:
        by_handoff.setdefault(e.handoff_id or "", []).append(e)
    linked = Counter(c.handoff_id for c in conversations if c.handoff_id)
    for hid, h in handoffs.items():
        own = by_handoff[hid]
        kinds = [e.kind for e in own]
        assert kinds[0] == "queued" and own[0].stream_id == hid and own[0].at == h.created_at
        assert kinds.count("first_reply") == 1 and linked[hid] == 1
        first = next(e for e in own if e.kind == "first_reply")
        assert h.first_reply_at == first.at
        assigned = [e for e in own if e.kind in ("assigned", "reassigned") and e.at <= first.at][-1]
        assert first.wait_s == pytest.approx(first.at - assigned.at) and first.agent == assigned.agent
        assert h.state == "resolved" and h.resolved_at == next(e.at for e in own if e.kind == "resolved")
        assert (h.rating is not None) == ("rating" in kinds)
        assert h.resolved_at <= NOW and all(h.created_at <= e.at <= NOW for e in own)
        assert [e.at for e in own] == sorted(e.at for e in own)
        assert {e.agent for e in own if e.agent} <= AGENTS
    assert set(linked) <= set(handoffs)
    start = history.history_start(CFG, NOW, WEEKS)
    assert all(start <= c.started_at < NOW for c in conversations)
    assert max(e.at for e in events) > NOW - 86400  # the history ends now
    assert all(c.conversation_id.startswith(("history-", "marketplace:history-")) for c in conversations)


def test_the_history_has_a_realistic_shape(seeded):
    record, _, _ = seeded
    with record() as s:
        starts = [datetime.fromtimestamp(t, TZ) for t in s.scalars(select(Conversation.started_at))]
        handed = s.scalar(select(func.count()).where(Conversation.handoff_id.is_not(None)))
        first_replies = select(HandoffEvent.agent, HandoffEvent.wait_s).where(HandoffEvent.kind == "first_reply")
        waits = s.execute(first_replies).all()
        kinds = Counter(s.scalars(select(HandoffEvent.kind)))
        ratings = list(s.scalars(select(Handoff.rating).where(Handoff.rating.is_not(None))))
        reasons = Counter(s.scalars(select(Handoff.reason)))
        findings = s.scalars(select(QaFinding)).all()
        conversation_ids = set(s.scalars(select(Conversation.conversation_id)))
    hours = Counter(t.hour for t in starts)
    assert sum(hours[h] for h in range(2, 6)) * 5 < sum(hours[h] for h in range(19, 23))  # quiet nights, busy evenings
    days = Counter(t.date() for t in starts)
    weekend = statistics.mean(n for d, n in days.items() if d.weekday() >= 5)
    weekdays = statistics.mean(n for d, n in days.items() if d.weekday() < 5 and d != max(days))  # the last: partial
    assert weekend > weekdays
    assert 0.25 < handed / len(starts) < 0.45
    per_agent: Dict[str, List[float]] = {}
    for agent, wait in waits:
        per_agent.setdefault(agent, []).append(wait)
    assert statistics.median(per_agent["amy"]) < statistics.median(per_agent["ben"]) < statistics.median(
        per_agent["chen"])  # fmt: skip
    assert kinds["reminded"] > 0 and kinds["message"] > kinds["first_reply"] and kinds["buyer_waiting"] > 0
    assert kinds["reassigned"] + kinds["reassign_pending"] > 0
    assert sum(r >= 4 for r in ratings) / len(ratings) > 0.6 and min(ratings) <= 2
    assert {"complaint", "requested", "bot_failed"} <= set(reasons)
    assert 1 <= len(findings) <= 40 and {f.action for f in findings} <= {"block", "warn"}
    assert {f.conversation_id for f in findings} <= conversation_ids and {f.agent for f in findings} <= AGENTS


def test_orders_follow_chats_of_the_demo_shops_customers(seeded):
    record, shop, added = seeded
    with record() as s:
        chats = s.execute(select(Conversation.customer, Conversation.started_at).where(Conversation.customer != ""))
        first_chat: Dict[str, float] = {}
        for customer, at in chats:
            first_chat[customer] = min(at, first_chat.get(customer, at))
    engine = make_engine(shop)
    with Session(engine) as s:
        orders = s.execute(select(Order.number, Order.created_at, Customer.channel_id).join(Customer)).all()
    engine.dispose()
    seeded_orders = [(n, at, buyer) for n, at, buyer in orders if history.is_history_order(n)]
    assert len(seeded_orders) == added["orders"]
    for _, at, buyer in seeded_orders:
        placed = history.utc(at)
        assert buyer in first_chat and first_chat[buyer] < placed <= NOW
        assert buyer not in history.DEMO_BUYERS  # Lily and James keep the orders the README lists


def test_the_reports_over_the_seeded_history(seeded):
    record, shop, _ = seeded
    last = datetime.fromtimestamp(NOW, TZ).date()
    first = datetime.fromtimestamp(history.history_start(CFG, NOW, WEEKS), TZ).date()
    period = parse_period(first.isoformat(), last.isoformat(), TZ, NOW)
    store = ShopRepository.connect(shop)
    totals = report(record, CFG, period, "day", store.orders_placed)["totals"]
    assert 0.5 < totals["containment"] < 0.8
    assert 5 < totals["frt_p50_s"] < 120 and totals["frt_p50_s"] < totals["frt_p90_s"]
    assert totals["resolution_rate"] == 1.0 and 3.5 < totals["csat_avg"] < 4.7
    assert 0.4 < totals["csat_response_rate"] < 0.8 and 0.05 < totals["conversion"]["rate"] < 0.5
    assert totals["reminders"] > 0 and totals["messages_per_agent_day"] > 5
    by_agent = {g["key"]: g for g in report(record, CFG, period, "agent", store.orders_placed)["groups"]}
    assert set(by_agent) == AGENTS and by_agent["amy"]["frt_p50_s"] < by_agent["chen"]["frt_p50_s"]
    quality = quality_report(record, CFG, period)
    assert quality["by_rule"] and quality["recent"]
    plan = staffing_plan(record, CFG, NOW, WEEKS, 0.8, 30)
    assert plan["handle_from"] == "history" and plan["peak"]["agents"] >= 1


def test_a_run_is_deterministic(tmp_path):
    shop = shop_at(f"sqlite:///{tmp_path / 'shop.db'}")
    runs = []
    for _ in range(2):
        sim = history.Simulation(random.Random(history.SEED), CFG, history.history_start(CFG, NOW, WEEKS), NOW)
        sim.plan(history.shop_buyers(shop, CFG))
        sim.run()
        runs.append(sim.entries())
    assert runs[0] == runs[1] and len(runs[0]) > 1000


def test_reset_removes_only_the_seeded_history(tmp_path):
    record, shop = open_record(f"sqlite:///{tmp_path / 'helpdesk.db'}"), shop_at(f"sqlite:///{tmp_path / 'shop.db'}")
    with record.begin() as s:
        s.add(Conversation(id="1-0", conversation_id="real-buyer", started_at=NOW - 60))
    first = history.seed_history(record, CFG, now=NOW, weeks=WEEKS, shop_url=shop)
    history.remove_history(record, shop)
    assert not history.has_history(record)
    with record() as s:
        assert s.scalars(select(Conversation.conversation_id)).all() == ["real-buyer"]
        assert s.scalar(select(func.count()).select_from(HandoffEvent)) == 0
    engine = make_engine(shop)
    with Session(engine) as s:
        assert not [n for n in s.scalars(select(Order.number)) if history.is_history_order(n)]
    engine.dispose()
    assert history.seed_history(record, CFG, now=NOW, weeks=WEEKS, shop_url=shop) == first
    shop_at(shop)  # the demo shop made again (make seed): its orders come back from the record on the next start
    assert history.seed_history(record, CFG, now=NOW, weeks=WEEKS, shop_url=shop)["orders"] == first["orders"]
    close(record)


def test_production_refuses_to_seed(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KEFU_ENV", "production")
    monkeypatch.setattr(sys, "argv", ["seed_history", "--record", f"sqlite:///{tmp_path / 'helpdesk.db'}"])
    with pytest.raises(SystemExit, match="KEFU_ENV=production"):
        history.main()
    assert not (tmp_path / "helpdesk.db").exists()
