"""The staffing forecast: Erlang C against a published table, the plan from records with known arrivals (SQLite and
PostgreSQL, in zones with an offset and with daylight saving), and GET /reports/staffing on a served helpdesk."""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Dict, Iterable, List, Optional
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import sessionmaker

from helpdesk.record.models import Handoff
from helpdesk.record.recorder import copy_events
from helpdesk.reports import erlang
from helpdesk.reports.staffing import history_window, staffing_plan
from helpdesk.web.response_models import StaffingPlan
from shop.config import WEEKDAYS, ShopConfig, Staffing, load_shop_config
from shop.settings import ROOT
from tests.helpdesk.conftest import agent_profile, handoff
from tests.helpdesk.test_console_api import Console

CFG = load_shop_config(ROOT / "shop.yml")
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")

# -- Erlang C against a published table ------------------------------------------------------------------------------
# The call-centre example of 100 calls per 30 minutes (200 an hour), 180 s handle time (10 Erlangs), 80% to be
# answered within 20 s, as the R package ErlangC 0.1.0 publishes it for 11 to 14 agents (README, "Example":
# calculate_agents(...)$process; https://cran.r-project.org/package=ErlangC, README at
# https://stat.ethz.ch/CRAN/web/packages/ErlangC/readme/README.html). R prints 7 significant digits, and the
# ASA with 15. It finds 14 agents for the 80/20 target (13 reach 79.56%).
PUBLISHED_10_ERLANGS = [  # agents, wait probability, service level within 20 s, ASA (s), occupancy
    (11, 0.6821182, 0.3896138, 122.78127684408, 0.9090909),
    (12, 0.4493882, 0.640158, 40.4449401868444, 0.8333333),
    (13, 0.2852705, 0.7955948, 17.1162271821896, 0.7692308),
    (14, 0.1741319, 0.88835, 7.83593701177724, 0.7142857),
]
# The same example's 14-agent row to 16 digits, from pyworkforce 0.1.0's README (https://pypi.org/project/pyworkforce/
# 0.1.0/): ErlangC(transactions=100, asa=20/60, aht=3, interval=30, max_occupancy=0.85).required_positions(0.8).
PYWORKFORCE_14 = {"raw_positions": 14, "service_level": 0.8883500191794669, "occupancy": 0.7142857142857143,
                  "waiting_probability": 0.1741319335950498}  # fmt: skip
SEVEN_DIGITS = 0.5e-7


@pytest.mark.parametrize("agents,waits,level,asa_s,occupancy", PUBLISHED_10_ERLANGS)
def test_erlang_c_reproduces_the_published_table(agents, waits, level, asa_s, occupancy):
    a = erlang.traffic(200, 180)
    assert a == 10
    assert erlang.erlang_c(a, agents) == pytest.approx(waits, abs=SEVEN_DIGITS)
    assert erlang.service_level(200, 180, agents, 20) == pytest.approx(level, abs=SEVEN_DIGITS)
    assert erlang.average_speed_of_answer(200, 180, agents) == pytest.approx(asa_s, rel=1e-12)
    assert a / agents == pytest.approx(occupancy, abs=SEVEN_DIGITS)


def test_the_published_staffing_answer_and_its_sixteen_digits():
    assert erlang.agents_needed(200, 180, 0.8, 20) == 14
    assert erlang.agents_needed(200, 180, 0.8, 20, max_occupancy=0.85) == PYWORKFORCE_14["raw_positions"]
    assert erlang.erlang_c(10, 14) == pytest.approx(PYWORKFORCE_14["waiting_probability"], rel=1e-12)
    assert erlang.service_level(200, 180, 14, 20) == pytest.approx(PYWORKFORCE_14["service_level"], rel=1e-12)
    # a stricter occupancy cap costs agents the service level alone would not: 10/14 = 0.714 > 0.7
    assert erlang.agents_needed(200, 180, 0.8, 20, max_occupancy=0.7) == 15
    # three chats per agent: 15 places (5 agents) are the first multiple of 3 to reach 80% in 20 s
    assert erlang.agents_needed(200, 180, 0.8, 20, chats_per_agent=3) == 5
    assert erlang.agents_needed(0, 180, 0.8, 20) == 0  # no arrivals, nobody needed


def exact_erlang_c(a: int, n: int) -> Fraction:
    """The textbook formula in exact integers, both sides times n!: A^n n/(n-A) / (sum A^k n!/k! + A^n n/(n-A))."""
    top = Fraction(a**n * n, n - a)
    rest = sum(a**k * (math.factorial(n) // math.factorial(k)) for k in range(n))
    return top / (rest + top)


@pytest.mark.parametrize("a,n", [(10, 14), (100, 110), (500, 530)])
def test_large_traffic_matches_exact_arithmetic_without_overflow(a, n):
    """A^n / n! overflows a float from n = 171; the recursion stays within [0, 1] and agrees with exact
    integer arithmetic."""
    assert erlang.erlang_c(a, n) == pytest.approx(float(exact_erlang_c(a, n)), rel=1e-10)


def test_agents_needed_is_the_smallest_that_meets_the_target_at_large_traffic():
    arrivals_per_h, handle_s = 20_000, 180  # 1000 Erlangs
    n = erlang.agents_needed(arrivals_per_h, handle_s, 0.8, 20)
    assert erlang.service_level(arrivals_per_h, handle_s, n, 20) >= 0.8
    assert erlang.service_level(arrivals_per_h, handle_s, n - 1, 20) < 0.8
    assert 1000 < n < 1000 + 3 * math.sqrt(1000)  # square-root staffing: a margin of the order of sqrt(A)


def test_the_agents_cannot_keep_up_at_or_below_the_traffic():
    assert erlang.erlang_c(10, 10) == 1.0 and erlang.erlang_c(10, 3) == 1.0
    assert erlang.service_level(200, 180, 10, 20) == 0.0
    assert erlang.average_speed_of_answer(200, 180, 9) == math.inf
    refused = [
        lambda: erlang.erlang_c(-1, 3),
        lambda: erlang.erlang_c(math.nan, 3),
        lambda: erlang.agents_needed(10, 180, 1.0, 20),
        lambda: erlang.agents_needed(10, 0, 0.8, 20),
    ]
    for bad in refused:
        with pytest.raises(ValueError):
            bad()


# -- the plan from a record with known arrivals ----------------------------------------------------------------------
def with_staffing(zone: str = "Asia/Shanghai", **staffing) -> ShopConfig:
    return CFG.copy(update={"shop": CFG.shop.copy(update={"timezone": zone}), "staffing": Staffing(**staffing)})


def write(record: sessionmaker, rows: Iterable[tuple[float, Optional[float]]]) -> None:
    """One handoff per (created_at, handle seconds or None: not resolved yet)."""
    with record.begin() as session:
        for i, (at, handle_s) in enumerate(rows):
            done = handle_s is not None
            session.add(Handoff(id=f"h-{i}", conversation_id=f"c-{i}", created_at=at, state="resolved" if done
                                else "waiting", first_assigned_at=at + 5 if done else None,
                                resolved_at=at + 5 + handle_s if done else None))  # fmt: skip


def local(zone: ZoneInfo, text: str, fold: int = 0) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=zone, fold=fold).timestamp()


def by_slot(plan: Dict) -> Dict[tuple, Dict]:
    return {(h["day"], h["hour"]): h for h in plan["hours"]}


NOW = local(SHANGHAI, "2026-11-18T15:00")  # a Wednesday afternoon; two weeks back: Wed 11-04 .. Tue 11-17


def two_weeks_in_shanghai() -> List[tuple[float, Optional[float]]]:
    rows: List[tuple[float, Optional[float]]] = []
    for saturday in ("2026-11-07", "2026-11-14"):  # 200 an hour at 21:00, handled in 120 s and 240 s: 180 s
        rows += [(local(SHANGHAI, f"{saturday}T21:00") + 18 * i, 120.0 if i % 2 else 240.0) for i in range(200)]
    for monday in ("2026-11-09", "2026-11-16"):
        rows += [(local(SHANGHAI, f"{monday}T09:00") + 600 * i, None) for i in range(6)]  # 6 an hour, open
        rows.append((local(SHANGHAI, f"{monday}T00:10"), None))  # Sunday 16:10 in UTC
    rows.append((local(SHANGHAI, "2026-11-04T00:00"), None))  # the window's first instant: in
    outside = [local(SHANGHAI, "2026-11-04T00:00") - 1, local(SHANGHAI, "2026-11-18T00:00"), NOW]
    return rows + [(at, 100_000.0) for at in outside]  # out, and their handle times would show in the mean


def test_the_plan_reads_arrivals_per_local_hour_and_the_mean_handle_time(record_db):
    write(record_db, two_weeks_in_shanghai())
    plan = staffing_plan(record_db, with_staffing(chats_per_agent=1), NOW, weeks=2, share=0.8, within_s=20)
    assert {k: plan[k] for k in ("target", "weeks", "timezone", "history", "handle_s", "handle_from", "peak")} == {
        "target": {"share": 0.8, "within_s": 20},
        "weeks": 2,
        "timezone": "Asia/Shanghai",
        "history": {"from": "2026-11-04", "to": "2026-11-17", "handoffs": 415},
        "handle_s": 180.0,
        "handle_from": "history",
        "peak": {"day": "sat", "hour": 21, "agents": 14},
    }
    assert [(h["day"], h["hour"]) for h in plan["hours"]] == [(d, h) for d in WEEKDAYS for h in range(24)]
    hours = by_slot(plan)
    # 200 an hour at 180 s is the published 10 Erlangs: 14 agents, 88.8% within 20 s, ASA 7.8 s, occupancy 0.714
    assert hours[("sat", 21)] == {"day": "sat", "hour": 21, "arrivals_per_h": 200.0, "agents": 14,
                                  "service_level": 0.888, "asa_s": 7.8, "occupancy": 0.714}  # fmt: skip
    # 6 an hour: 0.3 Erlangs. One agent: C = A = 0.3, 1 - 0.3 e^(-0.7 x 20/180) = 72.2% within 20 s. Two:
    # B = 0.0335, C = 2B / (2 - 0.3 (1 - B)) = 0.0391, 96.8% within 20 s, ASA C x 180 / 1.7 = 4.1 s
    assert hours[("mon", 9)] == {"day": "mon", "hour": 9, "arrivals_per_h": 6.0, "agents": 2,
                                 "service_level": 0.968, "asa_s": 4.1, "occupancy": 0.15}  # fmt: skip
    # Monday 00:10 in Shanghai is Sunday 16:10 in UTC: it counts for Monday 0:00
    assert hours[("mon", 0)]["arrivals_per_h"] == 1.0 and hours[("mon", 0)]["agents"] == 1
    assert hours[("sun", 16)]["arrivals_per_h"] == 0.0
    assert hours[("wed", 0)]["arrivals_per_h"] == 0.5  # one in two weeks
    assert hours[("tue", 23)] == {"day": "tue", "hour": 23, "arrivals_per_h": 0.0, "agents": 0,
                                  "service_level": None, "asa_s": None, "occupancy": None}  # fmt: skip
    assert sum(h["arrivals_per_h"] for h in plan["hours"]) * 2 == 415
    StaffingPlan.parse_obj(plan)


def test_chats_per_agent_and_the_occupancy_cap(record_db):
    write(record_db, two_weeks_in_shanghai())
    plan = staffing_plan(record_db, with_staffing(chats_per_agent=3, max_occupancy=0.85), NOW, 2, 0.8, 20)
    saturday = by_slot(plan)[("sat", 21)]
    # 15 places (5 agents of 3 chats) are the first multiple of 3 above the 14 the target needs
    assert (saturday["agents"], saturday["occupancy"], saturday["service_level"]) == (5, 0.667, 0.941)
    assert plan["chats_per_agent"] == 3 and plan["max_occupancy"] == 0.85
    assert by_slot(plan)[("mon", 9)]["agents"] == 1


def test_no_history_falls_back_to_the_default_handle_time(record_db):
    plan = staffing_plan(record_db, with_staffing(), NOW, 4, 0.8, 30)
    assert plan["handle_from"] == "default" and plan["handle_s"] == CFG.timers.default_handle_s
    assert plan["peak"] is None and plan["history"]["handoffs"] == 0
    assert {h["agents"] for h in plan["hours"]} == {0}


def test_hours_that_daylight_saving_skips_or_repeats(record_db):
    """New York: on 2026-03-08 the clocks go from 2:00 to 3:00, on 2026-11-01 from 2:00 back to 1:00. An hour
    of the week that happened twice in the window saw two hours of arrivals; one that never happened, none."""
    spring = [(local(NEW_YORK, "2026-03-08T01:30"), None)] * 3 + [(local(NEW_YORK, "2026-03-08T03:30"), None)] * 3
    autumn = [(local(NEW_YORK, "2026-11-01T01:30", fold=0), None)] * 2 + [
        (local(NEW_YORK, "2026-11-01T01:30", fold=1), None)] * 2  # fmt: skip
    write(record_db, spring + autumn)
    cfg = with_staffing("America/New_York")
    march = by_slot(staffing_plan(record_db, cfg, local(NEW_YORK, "2026-03-11T12:00"), 1, 0.8, 30))
    assert [march[("sun", h)]["arrivals_per_h"] for h in (1, 2, 3)] == [3.0, 0.0, 3.0]
    november = by_slot(staffing_plan(record_db, cfg, local(NEW_YORK, "2026-11-04T12:00"), 1, 0.8, 30))
    assert november[("sun", 1)]["arrivals_per_h"] == 2.0  # 4 handoffs in the two 1:00 hours


def test_the_handle_time_of_chats_played_through_the_desk(make_desk, clock, record_db):
    """Two chats through the real queue and recorder: amy has them at once and resolves them after 300 s and
    500 s; the plan's handle time is their mean, and the hour they came in has their arrivals."""
    desk = make_desk(amy=agent_profile(capacity=2))
    desk.agents.set_status("amy", "online")
    started = clock.now
    desk.queue.enqueue(handoff("d-1", created_at=clock.now))
    clock.advance(100)
    desk.queue.reply("d-1", "amy")
    clock.advance(200)
    desk.queue.resolve("d-1", "amy")
    desk.queue.enqueue(handoff("d-2", created_at=clock.now))
    clock.advance(500)
    desk.queue.resolve("d-2", "amy")
    assert copy_events(desk.redis, record_db) > 0
    plan = staffing_plan(record_db, with_staffing(), started + 8 * 86400, 2, 0.8, 30)
    assert (plan["handle_s"], plan["handle_from"], plan["history"]["handoffs"]) == (400.0, "history", 2)
    there = datetime.fromtimestamp(started, SHANGHAI)
    assert by_slot(plan)[(WEEKDAYS[there.weekday()], there.hour)]["arrivals_per_h"] == 1.0


# -- GET /reports/staffing -------------------------------------------------------------------------------------------
def test_the_route_serves_the_plan_with_the_asked_target(hd):
    first, _ = history_window(SHANGHAI, time.time(), 1)
    came = first + timedelta(days=2, hours=12)  # inside the window even if today ends while the test runs
    write(hd.app.ctx.hd.record, [(came.timestamp() + 60 * i, 300.0) for i in range(10)])
    r = hd.get("/reports/staffing?weeks=1&share=0.9&within_s=60")
    assert r.status_code == 200, r.text
    plan = StaffingPlan.parse_obj(r.json).dict(by_alias=True)
    assert plan["target"] == {"share": 0.9, "within_s": 60} and plan["weeks"] == 1
    assert (plan["handle_s"], plan["handle_from"], plan["chats_per_agent"]) == (300.0, "history", 3)
    hour = by_slot(r.json)[(WEEKDAYS[came.weekday()], 12)]
    # 10 an hour at 300 s (0.83 Erlangs) on 3 places: one agent answers 96.3% within 60 s
    assert (hour["arrivals_per_h"], hour["agents"], hour["service_level"]) == (10.0, 1, 0.963)
    assert r.json["peak"] == {"day": WEEKDAYS[came.weekday()], "hour": 12, "agents": 1}
    defaults = hd.get("/reports/staffing").json
    assert (defaults["target"], defaults["weeks"]) == ({"share": 0.8, "within_s": 30}, 4)  # shop.yml staffing


BAD = ["weeks=0", "weeks=53", "weeks=abc", "weeks=1.5", "weeks=", "weeks=1&weeks=2", "weeks=-1", "weeks=%EF%BC%92",
       "share=0", "share=1", "share=1.5", "share=nan", "share=-0.1", "share=0.8x", "share=inf", "share=1e-1",
       "within_s=0", "within_s=3601", "within_s=1e3", "within_s=" + "9" * 5000]  # fmt: skip


def test_bad_parameters_are_refused_and_only_supervisors_read_it_in_the_console(hd):
    for query in BAD:
        r = hd.get(f"/reports/staffing?{query}")
        assert r.status_code == 400, query
        assert r.json["error"] == "bad_field" and r.json["reason"] and "Traceback" not in r.text, query
    assert Console(hd, "amy").get("/reports/staffing?weeks=2").status_code == 200
    r = Console(hd, "ben").get("/reports/staffing")
    assert r.status_code == 403 and r.json["error"] == "not_supervisor"
    assert hd.get("/reports/staffing", auth=False).status_code == 401
