"""The daily rollups (helpdesk/reports/rollup.py) against the exact report (helpdesk/reports/figures.py) on a random
history of 60 days written straight into the record, on SQLite and PostgreSQL: a long period from the rollups has
every count, sum, average and rate of the exact report and its percentiles within the histograms' stated error;
a day is rolled up once, by one process at a time (the lease), and only once it is settled."""

from __future__ import annotations

import json
import random
import threading
from datetime import date, datetime, timedelta
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from helpdesk import keys
from helpdesk.lease import lease
from helpdesk.record.models import Conversation, Handoff, HandoffEvent, ReportDay, ReportDayDone
from helpdesk.reports import rollup
from helpdesk.reports.period import Period
from helpdesk.reports.report import GROUP_BY, report
from helpdesk.web.sweeper import ROLLUP_DAYS_PER_TICK, Sweeper
from scripts.seed_shop import seed
from shop import db
from shop.config import load_shop_config
from shop.models import Customer, Order, Product
from shop.repository import ShopRepository
from shop.settings import ROOT

CFG = load_shop_config(ROOT / "shop.yml")  # Asia/Shanghai; exact up to 31 days; settled after 7; conversion 24 h
EXACT = CFG.copy(update={"reports": CFG.reports.copy(update={"exact_days": 366})})  # every period counted exactly
TZ = ZoneInfo(CFG.shop.timezone)
FIRST = date(2026, 9, 1)  # the history's first day; it runs DAYS days
DAYS = 60
NOW = datetime.combine(FIRST + timedelta(days=DAYS + 1), datetime.min.time(), TZ).timestamp() + 10 * 3600
LAST_SETTLED = FIRST + timedelta(days=DAYS - 7)  # today is FIRST + DAYS + 1: the days that ended 7 days ago
AGENTS = ["amy", "ben", "cat"]
BUYERS = [f"roll-buyer-{i}" for i in range(8)]
PERCENTILES = ("frt_p50_s", "frt_p90_s", "resolution_p50_s", "response_p90_s")


def test_settled_days_and_the_error_bound():
    assert rollup.last_settled(CFG, NOW) == LAST_SETTLED
    assert rollup.last_settled(CFG, NOW - 11 * 3600) == LAST_SETTLED - timedelta(days=1)  # before today's midnight
    assert round(rollup.MAX_ERROR, 4) == 0.0905
    for v in (0.3, 1.0, 7.5, 41.0, 200.0, 3599.0, 86_400.0):  # every value reads back within the error
        assert abs(rollup.bucket_value(rollup.bucket(v)) - v) <= rollup.MAX_ERROR * v
    assert rollup.bucket_value(rollup.bucket(0.0)) == 0.0
    hist = {rollup.bucket(v): 1 for v in (10.0, 100.0)}
    got = rollup.hist_percentile(hist, 0.5)  # interpolated halfway, as percentile_cont would: 55
    assert abs(got - 55.0) <= rollup.MAX_ERROR * 55.0 and rollup.hist_percentile({}, 0.5) is None


def write_history(record: sessionmaker) -> None:
    """60 days of random chats: some handed off, answered, resolved, rated, reminded, reassigned; a few days empty."""
    rng = random.Random(16)
    rows: List[Any] = []
    stream = 0

    def event(handoff: Handoff, kind: str, agent: str, at: float, wait: Optional[float] = None,
              detail: Optional[dict] = None) -> None:  # fmt: skip
        nonlocal stream
        stream += 1
        rows.append(HandoffEvent(stream_id=f"{int(at * 1000)}-{stream}", handoff_id=handoff.id, kind=kind,
                                 conversation_id=handoff.conversation_id, agent=agent, at=at, wait_s=wait,
                                 detail=json.dumps(detail or {})))  # fmt: skip

    for d in range(DAYS):
        start = datetime.combine(FIRST + timedelta(days=d), datetime.min.time(), TZ).timestamp()
        for c in range(rng.choice([0, 3, 6, 9, 12]) if d % 13 != 5 else 0):
            cid, began = f"web-{d}-{c}", start + rng.uniform(0, 86_400)
            conv = Conversation(
                id=f"{int(began * 1000)}-{c}", conversation_id=cid, started_at=began,
                channel=rng.choice(["web", "marketplace"]), language=rng.choice(["en", "zh"]),
                category=rng.choice(["order", "returns", "complaint", ""]),
                customer=rng.choice(BUYERS) if rng.random() < 0.5 else "",
            )  # fmt: skip
            rows.append(conv)
            if rng.random() < 0.45:
                continue
            agent = rng.choice(AGENTS)
            created = began + rng.uniform(20, 900)
            h = Handoff(id=f"{int(created * 1000)}-0", conversation_id=cid, channel=conv.channel,
                        language=conv.language, category=conv.category, customer=conv.customer,
                        reason=rng.choice(["requested", "complaint", "bot_failed"]), created_at=created,
                        state="assigned", agent=agent, first_agent=agent,
                        first_assigned_at=created + 5)  # fmt: skip
            conv.handoff_id = h.id
            rows.append(h)
            event(h, "queued", "", created)
            event(h, "assigned", agent, created + 5)
            if rng.random() < 0.1:
                event(h, "reminded", agent, created + 305)
            if rng.random() < 0.85:  # answered
                h.first_reply_at = created + 5 + (0.0 if rng.random() < 0.05 else rng.expovariate(1 / 90))
                event(h, "first_reply", agent, h.first_reply_at, h.first_reply_at - created - 5)
                event(h, "message", agent, h.first_reply_at)
                at = h.first_reply_at
                for _ in range(rng.randint(0, 3)):
                    wait = rng.expovariate(1 / 40)
                    at += 60 + wait
                    event(h, "replied", agent, at, wait)
                    event(h, "message", agent, at)
                if rng.random() < 0.05:
                    other = rng.choice([a for a in AGENTS if a != agent])
                    event(h, "reassigned", other, at + 30, detail={"from": agent})
                    h.agent = other
                if rng.random() < 0.85:
                    h.resolved_at, h.state = at + rng.uniform(60, 4_000), "resolved"
                    event(h, "resolved", h.agent, h.resolved_at)
                    if rng.random() < 0.6:
                        h.rating = rng.randint(1, 5)
    with record() as session, session.begin():
        session.add_all(rows)


@pytest.fixture
def shop(helpdesk_db) -> ShopRepository:
    """A real shop in the record's database whose buyers order now and then over the history (the conversion)."""
    seed(helpdesk_db, now=datetime(2026, 6, 1), orders=5, reset=True)
    rng = random.Random(61)
    with Session(db.make_engine(helpdesk_db)) as session, session.begin():
        product = session.query(Product).order_by(Product.id).first()
        for n, buyer in enumerate(BUYERS):
            customer = Customer(name=buyer, email=f"{buyer}@example.com", phone="1", channel_id=buyer)
            session.add(customer)
            for i in range(12):
                placed = datetime.combine(FIRST, datetime.min.time()) + timedelta(seconds=rng.uniform(0, DAYS * 86_400))
                session.add(Order(number=f"RL{n}{i:03d}", customer=customer, status="paid", region="domestic",
                                  address="1 Road", total=product.price, created_at=placed,
                                  paid_at=placed + timedelta(minutes=1)))  # fmt: skip
    repo = ShopRepository.connect(helpdesk_db)
    yield repo
    repo.close()


@pytest.fixture
def history(record_db, shop) -> sessionmaker:
    write_history(record_db)
    return record_db


def assert_like_exact(rolled: Dict[str, Any], exact: Dict[str, Any], where: str) -> None:
    """Every figure equal, the percentiles within the buckets' error (and the 0.1 s rounding)."""
    assert set(rolled) == set(exact), where
    for name, want in exact.items():
        got = rolled[name]
        if name in PERCENTILES and want is not None and got is not None:
            assert abs(got - want) <= rollup.MAX_ERROR * want + 0.1, (where, name, got, want)
        else:
            assert got == want, (where, name)


def days_done(record: sessionmaker) -> List[date]:
    with record() as session:
        return [rollup._date(d) for d in session.scalars(select(ReportDayDone.day).order_by(ReportDayDone.day))]


@pytest.mark.parametrize("first, last", [(FIRST, FIRST + timedelta(days=DAYS)), (date(2026, 9, 6), date(2026, 10, 15))])
def test_a_long_period_from_the_rollups_is_the_exact_report(history, shop, first, last):
    """The first period ends today (its last 8 days are counted now), the second is settled all through."""
    period = Period(first, last, TZ)
    assert period.days > CFG.reports.exact_days
    percentiles = 0
    for group_by in GROUP_BY:
        rolled = report(history, CFG, period, group_by, shop.orders_placed, NOW)
        exact = report(history, EXACT, period, group_by, shop.orders_placed, NOW)
        assert exact["totals"]["handoffs"] > 100 and exact["totals"]["conversion"]["converted"] > 0
        assert_like_exact(rolled["totals"], exact["totals"], f"{group_by} totals")
        assert [g["key"] for g in rolled["groups"]] == [g["key"] for g in exact["groups"]], group_by
        for got, want in zip(rolled["groups"], exact["groups"], strict=True):
            assert_like_exact(got, want, f"{group_by} {want['key']}")
            percentiles += sum(want[p] is not None and want[p] > 0 for p in PERCENTILES)
        assert {k: v for k, v in rolled.items() if k not in ("totals", "groups")} == {
            k: v for k, v in exact.items() if k not in ("totals", "groups")
        }
    assert percentiles > 100  # the percentiles compared were real ones
    # the settled days of the period were rolled up (by the report itself: no sweeper ran), no other
    assert days_done(history) == [first + timedelta(days=i) for i in range((min(last, LAST_SETTLED) - first).days + 1)]


def test_without_the_shops_orders_conversion_is_null_and_filled_in_later(history, shop):
    period = Period(FIRST, FIRST + timedelta(days=40), TZ)
    unknown = report(history, CFG, period, "channel", lambda start, end, numbers: None, NOW)
    assert unknown["totals"]["conversion"] is None and all(g["conversion"] is None for g in unknown["groups"])
    assert report(history, CFG, period, "channel", None, NOW)["totals"]["conversion"] is None
    known = report(history, CFG, period, "channel", shop.orders_placed, NOW)  # the days are rolled up again
    exact = report(history, EXACT, period, "channel", shop.orders_placed, NOW)
    assert known["totals"]["conversion"] == exact["totals"]["conversion"] and exact["totals"]["conversion"]["buyers"]


def rows(record: sessionmaker) -> List[tuple]:
    with record() as session:
        return [
            tuple(r)
            for r in session.execute(
                select(
                    ReportDay.day,
                    ReportDay.hour,
                    ReportDay.dim,
                    ReportDay.key,
                    ReportDay.handoffs,
                    ReportDay.messages,
                    ReportDay.frt_hist,
                )
            )
        ]


def test_a_day_is_rolled_up_once_and_replaced_whole(history, shop):
    days = [FIRST + timedelta(days=i) for i in range(10)]
    assert rollup.roll_up(history, CFG, days, shop.orders_placed, NOW) == 10
    first = rows(history)
    with history() as session:
        began = {
            rollup._number(datetime.fromtimestamp(t, TZ).date())
            for t in session.scalars(select(Conversation.started_at))
        }
    numbers = {rollup._number(d) for d in days}
    assert began & numbers <= {r[0] for r in first if r[2] == "all"} <= numbers  # a whole-day row for each busy day
    with history() as session:
        assert rollup.missing_days(session, CFG, days[0], days[-1], conversion=True) == []
    period = Period(FIRST, FIRST + timedelta(days=40), TZ)
    report(history, CFG, period, "day", shop.orders_placed, NOW)
    assert set(first) <= set(rows(history))  # the report rolled up the other days, not these again
    assert rollup.roll_up(history, CFG, days, shop.orders_placed, NOW) == 10  # done again: the same rows, once
    assert sorted(rows(history)) == sorted(set(rows(history)))
    assert set(first) <= set(rows(history)) and len(rows(history)) == len(set(rows(history)))


def test_two_processes_rolling_up_at_once_write_each_row_once(history, shop):
    days = [FIRST + timedelta(days=i) for i in range(20)]
    done: List[int] = []
    workers = [threading.Thread(target=lambda: done.append(rollup.roll_up(history, CFG, days, shop.orders_placed,
                                                                          NOW))) for _ in range(2)]  # fmt: skip
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(done) == 2 and days_done(history) == days
    with history() as session:
        per_row = session.execute(
            select(func.count())
            .select_from(ReportDay)
            .group_by(ReportDay.day, ReportDay.hour, ReportDay.dim, ReportDay.key)  # fmt: skip
        ).scalars()
        assert set(per_row) == {1}
    period = Period(FIRST, FIRST + timedelta(days=35), TZ)
    assert_like_exact(report(history, CFG, period, "agent", shop.orders_placed, NOW)["totals"],
                      report(history, EXACT, period, "agent", shop.orders_placed, NOW)["totals"], "agent")  # fmt: skip


def test_the_sweeper_rolls_up_the_settled_days_one_process_at_a_time(history, shop, make_desk, clock):
    clock.now = NOW
    desk = make_desk()
    desk.redis.set(keys.EPOCH, repr(clock()))  # the live state is there: no rebuild from SQL
    sweeper = Sweeper(desk, history, CFG, None, "", shop.orders_placed)
    with lease(desk.redis, "report_rollup", ttl_ms=60_000) as held:
        assert held and sweeper.roll_up() == 0  # another process holds the lease: nothing done twice
    assert days_done(history) == []
    assert sweeper.tick()["rolled_up"] == ROLLUP_DAYS_PER_TICK
    ticks = 1
    while sweeper.roll_up():
        ticks += 1
    # every settled day since the record's first, the newest first, a few per tick; the unsettled never
    assert days_done(history) == [FIRST + timedelta(days=i) for i in range((LAST_SETTLED - FIRST).days + 1)]
    assert ticks == -(-len(days_done(history)) // ROLLUP_DAYS_PER_TICK)
    assert sweeper.roll_up() == 0  # and once only
    clock.advance(86_400)  # a day later, one more day is settled
    assert sweeper.roll_up() == 1 and days_done(history)[-1] == LAST_SETTLED + timedelta(days=1)
    sweeper.webhook.close()


def test_unsettled_days_are_never_rolled_up(history, shop):
    period = Period(LAST_SETTLED - timedelta(days=40), LAST_SETTLED + timedelta(days=5), TZ)
    report(history, CFG, period, "hour", shop.orders_placed, NOW)
    assert days_done(history)[-1] == LAST_SETTLED
    with history() as session:
        assert session.scalar(select(func.max(ReportDay.day))) <= rollup._number(LAST_SETTLED)
    assert rollup.roll_up_settled(history, CFG, NOW, shop.orders_placed, 1000) > 0
    assert days_done(history)[-1] == LAST_SETTLED
    # a day settles once its conversion window is over too, if that is longer
    slow = CFG.copy(update={"reports": CFG.reports.copy(update={"conversion_hours": 24 * 10})})
    assert rollup.last_settled(slow, NOW) == LAST_SETTLED - timedelta(days=3)
