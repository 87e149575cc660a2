"""The supervisors' figures (helpdesk/reports/figures.py) against a history whose answers were worked out by hand
(tests/reports/history.py tells its story), on SQLite and PostgreSQL; the days and hours of a zone with daylight
saving; and GET /reports on a served helpdesk: who may read it, and the refusals of a bad period or grouping."""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any, Dict, Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from helpdesk.record.recorder import copy_events
from helpdesk.reports.local_time import offset_pieces
from helpdesk.reports.percentiles import interpolated
from helpdesk.reports.period import Period, parse_period
from helpdesk.reports.report import GROUP_BY, report
from helpdesk.web.response_models import Report
from scripts.seed_shop import seed
from shop import db
from shop.config import load_shop_config
from shop.repository import ShopRepository
from shop.settings import ROOT
from tests.helpdesk import conftest as desk_fixtures
from tests.helpdesk.test_console_api import Console
from tests.reports import history
from tests.reports.history import AGENT, play

CFG = load_shop_config(ROOT / "shop.yml")  # Asia/Shanghai; conversion within 24 h; reply rates within 30 s and 180 s
PERIOD = Period(date(2027, 1, 15), date(2027, 1, 17), ZoneInfo(history.TZ))


def empty(**figures: Any) -> Dict[str, Any]:
    """The figures of a group where nothing happened, with the given ones changed."""
    nothing = {
        "conversations": 0, "handoffs": 0, "containment": None, "handoff_reasons": {},
        "frt_p50_s": None, "frt_p90_s": None, "reply_rates": {"30": None, "180": None},
        "response_avg_s": None, "response_p90_s": None,
        "resolved": 0, "resolution_rate": None, "resolution_p50_s": None, "resolution_avg_s": None,
        "csat_avg": None, "csat_responses": 0, "csat_response_rate": None,
        "agent_messages": 0, "agent_days": 0, "messages_per_agent_day": None,
        "conversion": {"buyers": 0, "converted": 0, "rate": None}, "reassignments": 0, "reminders": 0,
    }  # fmt: skip
    assert set(figures) <= set(nothing)
    return {**nothing, **figures}


def of_agent(**figures: Any) -> Dict[str, Any]:
    """An agent's figures: conversations have no agent, so their figures are null."""
    return empty(conversations=None, containment=None, handoff_reasons=None, conversion=None, **figures)


def reasons(**counts: tuple) -> Dict[str, Dict[str, Any]]:
    return {reason: {"count": n, "rate": rate} for reason, (n, rate) in counts.items()}


def conversion(buyers: int, converted: int, rate: float | None) -> Dict[str, Any]:
    return {"buyers": buyers, "converted": converted, "rate": rate}


# Worked out by hand from history.py's table. FRT: H1 20, H2 100, H3 250, H4 510 s. Agents' waits in the period:
# H0 250 (its answer falls in the period), H1 10 and 30, H2 80, H3 220, H4 20 (ben, after the reassignment).
# Resolution: H1 600, H2 1200, H3 1500 s. Ratings: H1 5, H2 3 (H0's 1 is outside: queued before the period).
# Percentiles interpolate: p of n sorted values is at rank p*(n-1).
TOTALS = empty(
    conversations=10, handoffs=4, containment=0.6,
    handoff_reasons=reasons(bot_failed=(1, 0.1), complaint=(2, 0.2), requested=(1, 0.1)),
    frt_p50_s=175.0, frt_p90_s=432.0, reply_rates={"30": 0.25, "180": 0.5},
    response_avg_s=101.7, response_p90_s=235.0,
    resolved=3, resolution_rate=0.75, resolution_p50_s=1200.0, resolution_avg_s=1100.0,
    csat_avg=4.0, csat_responses=2, csat_response_rate=0.667,
    agent_messages=8, agent_days=4, messages_per_agent_day=2.0,
    conversion=conversion(6, 3, 0.5), reassignments=1, reminders=1,
)  # fmt: skip
JAN_15 = dict(
    handoffs=2, frt_p50_s=60.0, frt_p90_s=92.0, reply_rates={"30": 0.5, "180": 1.0},
    resolved=2, resolution_rate=1.0, resolution_p50_s=900.0, resolution_avg_s=900.0,
    csat_avg=4.0, csat_responses=2, csat_response_rate=1.0,
)  # fmt: skip
JAN_17 = dict(
    handoffs=2, frt_p50_s=380.0, frt_p90_s=484.0, reply_rates={"30": 0.0, "180": 0.0},
    response_avg_s=120.0, response_p90_s=200.0,
    resolved=1, resolution_rate=0.5, resolution_p50_s=1500.0, resolution_avg_s=1500.0, csat_response_rate=0.0,
    agent_messages=3, agent_days=2, messages_per_agent_day=1.5, reassignments=1, reminders=1,
)  # fmt: skip
GROUPS = {
    "day": {
        "2027-01-15": empty(
            conversations=5, containment=0.6, handoff_reasons=reasons(complaint=(1, 0.2), requested=(1, 0.2)),
            response_avg_s=92.5, response_p90_s=199.0, agent_messages=5, agent_days=2, messages_per_agent_day=2.5,
            conversion=conversion(3, 2, 0.667), **JAN_15,
        ),
        "2027-01-16": empty(),
        "2027-01-17": empty(
            conversations=5, containment=0.6, handoff_reasons=reasons(bot_failed=(1, 0.2), complaint=(1, 0.2)),
            conversion=conversion(3, 1, 0.333), **JAN_17,
        ),
    },
    "hour": {
        **{f"{h:02d}": empty() for h in range(24)},
        "00": empty(response_avg_s=250.0, response_p90_s=250.0, agent_messages=1, agent_days=1,
                    messages_per_agent_day=1.0),
        "09": empty(
            conversations=4, containment=0.5, handoff_reasons=reasons(bot_failed=(1, 0.25), complaint=(1, 0.25)),
            conversion=conversion(3, 1, 0.333), **JAN_17,
        ),
        "16": empty(
            conversations=5, containment=0.6, handoff_reasons=reasons(complaint=(1, 0.2), requested=(1, 0.2)),
            response_avg_s=40.0, response_p90_s=70.0, agent_messages=4, agent_days=2, messages_per_agent_day=2.0,
            conversion=conversion(3, 2, 0.667), **JAN_15,
        ),
        "23": empty(conversations=1, containment=1.0),
    },
    "agent": {  # handoffs to the agent who got them first (H4: amy); waits and messages to the one who answered
        "amy": of_agent(
            handoffs=3, frt_p50_s=250.0, frt_p90_s=458.0, reply_rates={"30": 0.333, "180": 0.333},
            response_avg_s=86.7, response_p90_s=182.0,
            resolved=2, resolution_rate=0.667, resolution_p50_s=1050.0, resolution_avg_s=1050.0,
            csat_avg=5.0, csat_responses=1, csat_response_rate=0.5,
            agent_messages=5, agent_days=2, messages_per_agent_day=2.5, reassignments=1, reminders=1,
        ),
        "ben": of_agent(
            handoffs=1, frt_p50_s=100.0, frt_p90_s=100.0, reply_rates={"30": 0.0, "180": 1.0},
            response_avg_s=116.7, response_p90_s=216.0,
            resolved=1, resolution_rate=1.0, resolution_p50_s=1200.0, resolution_avg_s=1200.0,
            csat_avg=3.0, csat_responses=1, csat_response_rate=1.0,
            agent_messages=3, agent_days=2, messages_per_agent_day=1.5,
        ),
    },
    "category": {
        "": empty(conversations=1, containment=1.0),  # c10 asked nothing the bot could place
        "complaint": empty(
            conversations=2, containment=0.0, handoff_reasons=reasons(complaint=(2, 1.0)),
            handoffs=2, frt_p50_s=175.0, frt_p90_s=235.0, reply_rates={"30": 0.0, "180": 0.5},
            response_avg_s=150.0, response_p90_s=206.0,
            resolved=2, resolution_rate=1.0, resolution_p50_s=1350.0, resolution_avg_s=1350.0,
            csat_avg=3.0, csat_responses=1, csat_response_rate=0.5,
            agent_messages=3, agent_days=2, messages_per_agent_day=1.5, conversion=conversion(2, 0, 0.0),
        ),
        "order": empty(  # H0 (c11, an order question) was answered in the period
            conversations=3, containment=1.0, response_avg_s=250.0, response_p90_s=250.0,
            agent_messages=1, agent_days=1, messages_per_agent_day=1.0, conversion=conversion(1, 1, 1.0),
        ),
        "payment": empty(conversations=1, containment=1.0, conversion=conversion(1, 0, 0.0)),
        "product": empty(
            conversations=2, containment=0.5, handoff_reasons=reasons(bot_failed=(1, 0.5)),
            handoffs=1, frt_p50_s=510.0, frt_p90_s=510.0, reply_rates={"30": 0.0, "180": 0.0},
            response_avg_s=20.0, response_p90_s=20.0, resolution_rate=0.0,
            agent_messages=1, agent_days=1, messages_per_agent_day=1.0, conversion=conversion(1, 1, 1.0),
            reassignments=1, reminders=1,
        ),
        "returns": empty(
            conversations=1, containment=0.0, handoff_reasons=reasons(requested=(1, 1.0)),
            handoffs=1, frt_p50_s=20.0, frt_p90_s=20.0, reply_rates={"30": 1.0, "180": 1.0},
            response_avg_s=20.0, response_p90_s=28.0,
            resolved=1, resolution_rate=1.0, resolution_p50_s=600.0, resolution_avg_s=600.0,
            csat_avg=5.0, csat_responses=1, csat_response_rate=1.0,
            agent_messages=3, agent_days=1, messages_per_agent_day=3.0, conversion=conversion(1, 1, 1.0),
        ),
    },
    "channel": {
        "marketplace": empty(
            conversations=3, containment=0.0, handoff_reasons=reasons(complaint=(2, 0.667), requested=(1, 0.333)),
            handoffs=3, frt_p50_s=100.0, frt_p90_s=220.0, reply_rates={"30": 0.333, "180": 0.667},
            response_avg_s=85.0, response_p90_s=178.0,
            resolved=3, resolution_rate=1.0, resolution_p50_s=1200.0, resolution_avg_s=1100.0,
            csat_avg=4.0, csat_responses=2, csat_response_rate=0.667,
            agent_messages=6, agent_days=3, messages_per_agent_day=2.0, conversion=conversion(3, 1, 0.333),
        ),
        "web": empty(
            conversations=7, containment=0.857, handoff_reasons=reasons(bot_failed=(1, 0.143)),
            handoffs=1, frt_p50_s=510.0, frt_p90_s=510.0, reply_rates={"30": 0.0, "180": 0.0},
            response_avg_s=135.0, response_p90_s=227.0, resolution_rate=0.0,
            agent_messages=2, agent_days=2, messages_per_agent_day=1.0, conversion=conversion(3, 2, 0.667),
            reassignments=1, reminders=1,
        ),
    },
    "language": {
        "en": empty(
            conversations=5, containment=0.6, handoff_reasons=reasons(bot_failed=(1, 0.2), requested=(1, 0.2)),
            handoffs=2, frt_p50_s=265.0, frt_p90_s=461.0, reply_rates={"30": 0.5, "180": 0.5},
            response_avg_s=20.0, response_p90_s=28.0,
            resolved=1, resolution_rate=0.5, resolution_p50_s=600.0, resolution_avg_s=600.0,
            csat_avg=5.0, csat_responses=1, csat_response_rate=1.0,
            agent_messages=4, agent_days=2, messages_per_agent_day=2.0, conversion=conversion(4, 3, 0.75),
            reassignments=1, reminders=1,
        ),
        "zh": empty(
            conversations=5, containment=0.6, handoff_reasons=reasons(complaint=(2, 0.4)),
            handoffs=2, frt_p50_s=175.0, frt_p90_s=235.0, reply_rates={"30": 0.0, "180": 0.5},
            response_avg_s=183.3, response_p90_s=244.0,
            resolved=2, resolution_rate=1.0, resolution_p50_s=1350.0, resolution_avg_s=1350.0,
            csat_avg=3.0, csat_responses=1, csat_response_rate=0.5,
            agent_messages=4, agent_days=2, messages_per_agent_day=2.0, conversion=conversion(2, 0, 0.0),
        ),
    },
}  # fmt: skip


@pytest.fixture
def shop(helpdesk_db) -> Iterator[ShopRepository]:
    """A seeded shop with the history's buyers and orders, in the record's database (the tables do not meet)."""
    seed(helpdesk_db, now=datetime(2026, 6, 1), orders=10, reset=True)
    repo = ShopRepository.connect(helpdesk_db)
    with Session(db.make_engine(helpdesk_db)) as session, session.begin():
        history.add_orders(session)
    yield repo
    repo.close()


@pytest.fixture
def recorded(make_desk, clock, record_db, shop):
    """The history played on the desk and copied into the record."""
    desk = make_desk("manual", amy=AGENT, ben=AGENT)
    player = play(desk, clock)
    assert copy_events(desk.redis, record_db) > 0
    return player


def test_every_figure_of_the_known_history(recorded, record_db, shop):
    assert recorded.fired == [("reminded", "amy"), ("reassigned", "ben")]  # the timers did what the story says
    for group_by in GROUP_BY:
        got = report(record_db, CFG, PERIOD, group_by, shop.orders_placed)
        Report.parse_obj(got)  # the shape /openapi.json declares
        assert got["period"] == {"from": "2027-01-15", "to": "2027-01-17", "timezone": "Asia/Shanghai"}
        assert got["group_by"] == group_by
        assert got["totals"] == TOTALS, group_by
        assert [g["key"] for g in got["groups"]] == list(GROUPS[group_by]), group_by  # in order, empty ones too
        for group in got["groups"]:
            assert {k: v for k, v in group.items() if k != "key"} == GROUPS[group_by][group["key"]], (
                group_by,
                group["key"],
            )


def test_conversion_is_null_when_the_shop_cannot_list_its_orders(recorded, record_db):
    for orders in (None, lambda start, end, numbers: None):
        got = report(record_db, CFG, PERIOD, "channel", orders)
        assert got["totals"]["conversion"] is None
        assert [g["conversion"] for g in got["groups"]] == [None, None]
        assert got["totals"]["conversations"] == 10  # the rest is unchanged


def test_the_shop_lists_the_orders_of_a_window_with_their_buyers(shop):
    proven = ["R90001", "R90002", "R90003"]
    placed = shop.orders_placed(datetime(2027, 1, 15, 8), datetime(2027, 1, 15, 10), proven)  # T .. T+2h, UTC
    assert placed is not None
    buyers = {placed.by_channel_id[c] for c in ("rep-buyer-1", "rep-buyer-2", "rep-buyer-5")}
    assert len(buyers) == 3 and set(placed.times) == buyers
    assert placed.by_order_number["R90001"] == placed.by_channel_id["rep-buyer-1"]  # an older order: the same buyer
    assert placed.by_order_number["R90002"] == placed.by_channel_id["rep-buyer-2"]
    assert "R90003" not in placed.by_order_number  # rep-buyer-3 ordered nothing in the window
    assert sorted(len(t) for t in placed.times.values()) == [1, 1, 1]
    assert shop.orders_placed(datetime(2027, 1, 15, 8), datetime(2027, 1, 15, 10)).by_order_number == {}  # none asked
    assert shop.orders_placed(datetime(2030, 1, 1), datetime(2030, 1, 2)) == type(placed)({}, {}, {})


def test_an_empty_period_has_every_day_and_null_measurements(record_db):
    got = report(record_db, CFG, PERIOD, "day", None)
    assert got["totals"] == empty(conversion=None)
    assert [g["key"] for g in got["groups"]] == ["2027-01-15", "2027-01-16", "2027-01-17"]
    assert report(record_db, CFG, PERIOD, "agent", None)["groups"] == []


def test_days_and_hours_follow_daylight_saving(make_desk, clock, record_db):
    """New York moves from UTC-5 to UTC-4 at 2027-03-14 02:00 local: a conversation at 23:30 local on each side
    falls on its own local day and in hour 23, and one at 03:30 just after the change in hour 03."""
    new_york = ZoneInfo("America/New_York")
    period = Period(date(2027, 3, 13), date(2027, 3, 15), new_york)
    local = [datetime(2027, 3, 13, 23, 30), datetime(2027, 3, 14, 3, 30), datetime(2027, 3, 14, 23, 30)]
    desk = make_desk("manual")
    for i, at in enumerate(local):
        clock.now = at.replace(tzinfo=new_york).timestamp()
        desk.queue.conversation_seen(f"ny-{i}", 3600, {"channel": "web", "language": "en"})
    copy_events(desk.redis, record_db)
    assert [o for _, o in offset_pieces(period)] == [-5 * 3600, -4 * 3600]
    cfg = CFG.copy(update={"shop": CFG.shop.copy(update={"timezone": "America/New_York"})})
    days = {g["key"]: g["conversations"] for g in report(record_db, cfg, period, "day", None)["groups"]}
    assert days == {"2027-03-13": 1, "2027-03-14": 2, "2027-03-15": 0}
    hours = {g["key"]: g["conversations"] for g in report(record_db, cfg, period, "hour", None)["groups"]}
    assert {h: n for h, n in hours.items() if n} == {"03": 1, "23": 2}


def test_percentiles_interpolate_like_percentile_cont():
    assert interpolated([], 0.5) is None
    assert interpolated([7.0], 0.9) == 7.0
    assert interpolated([20.0, 100.0, 250.0, 510.0], 0.5) == 175.0
    assert interpolated([20.0, 100.0, 250.0, 510.0], 0.9) == pytest.approx(432.0)
    assert interpolated([1.0, 2.0], 1.0) == 2.0


def test_unknown_grouping_is_refused(record_db):
    with pytest.raises(ValueError, match="group_by"):
        report(record_db, CFG, PERIOD, "week", None)


# -- GET /reports -------------------------------------------------------------------------------------------------
def test_reports_route_for_supervisors_and_the_service(hd):
    placed = hd.post("/handoffs", desk_fixtures.handoff("web-r1", created_at=time.time(), category="order"))
    assert placed.status_code == 201
    hd.sweep()  # the events into the record
    res = hd.app.ctx.hd
    today = datetime.now(ZoneInfo(res.cfg.shop.timezone)).date().isoformat()
    by_token = hd.get(f"/reports?from={today}&to={today}&group_by=category")
    assert by_token.status_code == 200
    period = parse_period(today, today, ZoneInfo(res.cfg.shop.timezone), time.time())
    assert by_token.json == report(res.record, res.cfg, period, "category", res.shop.orders_placed)
    Report.parse_obj(by_token.json)
    assert by_token.json["totals"]["handoffs"] == 1 and by_token.json["totals"]["conversations"] == 1
    assert [g["key"] for g in by_token.json["groups"]] == ["order"]

    default = hd.get("/reports")  # the last 7 days by day
    assert default.status_code == 200 and default.json["group_by"] == "day"
    assert len(default.json["groups"]) == 7 and default.json["groups"][-1]["key"] == today

    amy, ben = Console(hd, "amy"), Console(hd, "ben")  # amy is a supervisor, ben an agent
    assert hd.get("/reports", auth=False, headers=amy.headers).status_code == 200
    refused = hd.get("/reports", auth=False, headers=ben.headers)
    assert refused.status_code == 403 and refused.json["error"] == "not_supervisor"
    assert hd.get("/reports", auth=False).status_code == 401


def test_reports_refuse_a_bad_period_or_grouping(hd):
    refused = {
        "from=2027-02-30": "bad_period",
        "from=yesterday": "bad_period",
        "from=2027-01-10&to=2027-01-01": "bad_period",  # from after to
        "from=2020-01-01&to=2027-01-01": "bad_period",  # longer than a year
        "to=" + "9" * 5000: "bad_period",
        "from=2027-01-01%00": "bad_period",
        "from=2027-01-01&from=2027-01-02": "bad_period",
        "group_by=week": "bad_group_by",
        "group_by=": "bad_group_by",
        "group_by=DAY": "bad_group_by",
        "group_by=day&group_by=hour": "bad_group_by",
    }
    for query, error in refused.items():
        r = hd.get(f"/reports?{query}")
        assert (r.status_code, r.json["error"]) == (400, error), query[:40]
        assert r.json["reason"]
