"""How long each supervisor report takes over a year of a busy shop's history in PostgreSQL, as ratios to a full
scan of the events table in the same run.

    make bench-reports                                  # 1,000,000 handoffs, 5,000,000 messages
    python -m benchmarks.reports --handoffs 100000      # a tenth of it
    python -m benchmarks.reports --explain              # and EXPLAIN ANALYZE of every query over 100 ms

The history is written into a database of the run's own on this machine's PostgreSQL (--server, by default
postgresql://postgres@127.0.0.1:5432), dropped at the end, by INSERT ... SELECT over generate_series
with random() inside the server: no row passes through Python. A year ending now holds:
- 2.8 conversations per handoff (35.7% handed off), 40% of them by a buyer the channel vouched for;
- every handoff resolved, with its stream: queued, assigned, first_reply, 0-4 rounds of a buyer waiting and the
  agent replying, the agent's messages, resolved, a rating for 60%, a reminder for 5%, a reassignment for 1%;
  with the conversations' own events, as the live recorder writes them, in time order;
- 5 messages per handoff: the agent's messages and the buyer's messages that started a wait (buyer_waiting);
- 30 agents, the quality check's findings (about 1 in 250 messages), and a shop with 50,000 customers and
  300,000 orders (the conversion figure).
The tables get the indexes helpdesk/record/models.py declares (built after the load, as a restore would).

Then the settled days of the year are rolled up (helpdesk/reports/rollup.py, as the sweeper would over time), and
each report runs 5 times, the median counted: report() over the last 30 days by each grouping, over the last 365
days by each grouping (from the rollups and the recent days) and once exactly, the QA report over 30 days and the
staffing forecast over 4 weeks. The baseline is a full scan of handoff_events (and, beside it, of handoffs) in the
same run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from typing import Callable, Dict, Iterator, List, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine

from benchmarks.stats import run_times
from helpdesk.record.models import open_record
from helpdesk.reports import rollup
from helpdesk.reports.period import Period, parse_period
from helpdesk.reports.quality import quality_report
from helpdesk.reports.report import GROUP_BY, report
from helpdesk.reports.staffing import staffing_plan
from scripts.stack import ensure_database, scratch_database
from shop import models as shop_models
from shop.config import load_shop_config
from shop.db import close
from shop.repository import ShopRepository
from shop.settings import ROOT

SERVER = "postgresql://postgres@127.0.0.1:5432"  # --server
DATABASE = "kefu_bench_reports"
RUNS = 5
DAY = 86_400
HANDOFF_EVERY = (5, 14)  # 5 conversations in 14 reach a person
AGENTS = 30
CUSTOMERS = 50_000
ORDERS = 300_000
CHUNKS = 24  # events are written half a month at a time, in time order, as the recorder appends them

CONVERSATIONS_SQL = """
INSERT INTO conversations (id, conversation_id, started_at, channel, language, category, customer, order_number,
                           handoff_id)
SELECT floor(t * 1000)::bigint || '-0', 'bench-' || j, t,
       (ARRAY['webchat', 'webchat', 'marketplace', 'rest'])[1 + floor(random() * 4)::int],
       CASE WHEN random() < 0.4 THEN 'zh' ELSE 'en' END,
       (ARRAY['order', 'order', 'product', 'returns', 'payment', 'complaint', 'human', ''])
           [1 + floor(random() * 8)::int],
       CASE WHEN random() < 0.4 THEN 'mkt-buyer-' || floor(random() * :customers)::int ELSE '' END,
       NULL,
       CASE WHEN j % :every < :handed THEN floor(t * 1000)::bigint + 1 || '-0' END
FROM (SELECT j, :start + (j + 0.9 * random()) * :step AS t FROM generate_series(0, :n - 1) j OFFSET 0) s
"""

HANDOFFS_SQL = """
INSERT INTO handoffs (id, conversation_id, channel, customer, language, category, priority, vip, reason,
                      order_number, summary, created_at, state, agent, group_name, front, assigned_at,
                      first_assigned_at, first_agent, first_reply_at, resolved_at, resolved_by, rating)
SELECT handoff_id, conversation_id, channel, customer, language,
       (ARRAY['complaint', 'human', 'human', 'other', 'order'])[1 + hh % 5],
       CASE WHEN hh % 5 = 0 THEN 10 ELSE 0 END, false,
       (ARRAY['complaint', 'requested', 'requested', 'bot_failed', 'ownership_failed'])[1 + hh % 5],
       NULL, '[request_human] can I talk to a person', created, 'resolved', agent, NULL, false, assigned,
       assigned, agent, replied, replied + 120 + r3 * 900, agent,
       CASE WHEN r4 < 0.6 THEN (ARRAY[1, 2, 3, 4, 4, 4, 5, 5, 5, 5])[1 + floor(r4 / 0.06)::int] END
FROM (
    SELECT *, assigned + 3 - ln(1 - r2) * 40 AS replied
    FROM (
        SELECT c.handoff_id, c.conversation_id, c.channel, c.customer, c.language, created, hh,
               'agent' || lpad((hh % :agents)::text, 2, '0') AS agent,
               created - ln(1 - r1) * 20 AS assigned, r2, r3, r4
        FROM (SELECT *, started_at + 30 + random() * 300 AS created, abs(hashtext(handoff_id)) AS hh,
                     random() AS r1, random() AS r2, random() AS r3, random() AS r4
              FROM conversations WHERE handoff_id IS NOT NULL OFFSET 0) c
    ) a
) b
"""

# one chunk of the events, in time order: the conversations' own, each handoff's stream, its rounds of a buyer
# waiting and the agent replying (spread between the first reply and the resolution)
EVENTS_SQL = """
INSERT INTO handoff_events (stream_id, handoff_id, conversation_id, kind, agent, at, detail, wait_s)
SELECT floor(at * 1000)::bigint || '-' || nextval('bench_event_seq'), hid, cid, kind, agent, at, detail, wait_s
FROM (
    SELECT NULL AS hid, c.conversation_id AS cid, 'conversation' AS kind, '' AS agent, c.started_at AS at,
           format('{"channel": "%s", "language": "%s", "category": "%s", "customer": "%s", "order_number": ""}',
                  c.channel, c.language, c.category, c.customer) AS detail, NULL::float AS wait_s
    FROM conversations c WHERE c.started_at >= :a AND c.started_at < :b
    UNION ALL
    SELECT h.id, h.conversation_id, e.kind, e.agent, e.at, e.detail, e.wait_s
    FROM handoffs h CROSS JOIN LATERAL (VALUES
        ('queued', '', h.created_at, format('{"conversation_id": "%s", "channel": "%s", "customer": "%s", '
            '"language": "%s", "category": "%s", "priority": "%s", "vip": "0", "reason": "%s", "order_number": "", '
            '"summary": "%s", "created_at": "%s"}', h.conversation_id, h.channel, h.customer, h.language,
            h.category, h.priority, h.reason, h.summary, h.created_at), NULL::float),
        ('assigned', h.agent, h.first_assigned_at, '{}', NULL),
        ('first_reply', h.agent, h.first_reply_at, '{}', h.first_reply_at - h.first_assigned_at),
        ('message', h.agent, h.first_reply_at, '{}', NULL),
        ('resolved', h.agent, h.resolved_at, format('{"by": "%s"}', h.agent), NULL),
        ('rating', h.agent, h.resolved_at + 40, format('{"rating": %s}', h.rating), NULL),
        ('reminded', h.agent, h.first_assigned_at + 300, '{}', NULL),
        ('reassigned', h.agent, h.first_assigned_at + 480, format('{"from": "%s"}', h.agent), NULL)
    ) e(kind, agent, at, detail, wait_s)
    WHERE h.created_at >= :a AND h.created_at < :b
      AND (e.kind <> 'rating' OR h.rating IS NOT NULL)
      AND (e.kind <> 'reminded' OR abs(hashtext(h.id)) % 20 = 3)
      AND (e.kind <> 'reassigned' OR abs(hashtext(h.id)) % 100 = 7)
    UNION ALL
    SELECT h.id, h.conversation_id, e.kind, h.agent, e.at, '{}', e.wait_s
    FROM handoffs h
    CROSS JOIN LATERAL generate_series(1, abs(hashtext(h.id)) % 5) r
    CROSS JOIN LATERAL (SELECT (h.resolved_at - h.first_reply_at) / (abs(hashtext(h.id)) % 5 + 1) AS gap) g
    CROSS JOIN LATERAL (SELECT h.first_reply_at + r * g.gap AS wrote,
                               least(g.gap * 0.8, 4 - ln(1 - random()) * 40) AS wait) w
    CROSS JOIN LATERAL (VALUES ('buyer_waiting', w.wrote, NULL::float), ('replied', w.wrote + w.wait, w.wait),
                               ('message', w.wrote + w.wait, NULL)) e(kind, at, wait_s)
    WHERE h.created_at >= :a AND h.created_at < :b
) x
ORDER BY at
"""

SHOP_SQL = [
    """INSERT INTO customers (name, email, phone, vip, channel_id)
       SELECT 'Buyer ' || i, 'buyer' || i || '@example.com', '1380000' || i, i % 20 = 0, 'mkt-buyer-' || i
       FROM generate_series(0, :customers - 1) i""",
    """INSERT INTO orders (number, customer_id, status, region, address, total, created_at)
       SELECT 'B' || lpad(i::text, 7, '0'), (SELECT min(id) FROM customers) + floor(random() * :customers)::int,
              'delivered', 'domestic', '1 Market St', 10 + floor(random() * 90),
              to_timestamp(:start + random() * :span) AT TIME ZONE 'UTC'
       FROM generate_series(1, :orders) i""",
]

QA_SQL = """
INSERT INTO qa_findings (at, agent, conversation_id, rule, action, excerpt)
SELECT at, agent, conversation_id,
       (ARRAY['return_window', 'coupon', 'refund_days', 'return_shipping', 'banned_words', 'off_platform'])[1 + k],
       CASE WHEN k >= 4 THEN 'block' ELSE 'warn' END, '30 days'
FROM (SELECT at, agent, conversation_id, floor(random() * 6)::int AS k FROM handoff_events
      WHERE kind = 'message' AND random() < 0.004 OFFSET 0) m
"""


def timed(what: str, run: Callable[[], object]) -> None:
    start = time.perf_counter()
    run()
    print(f"  {what}: {time.perf_counter() - start:.1f} s", flush=True)


def secondary_indexes(conn: Connection, tables: List[str]) -> List[Tuple[str, str, str, str]]:
    """(table, index, its CREATE statement, the constraint it backs or "") of every index but the primary keys."""
    rows = conn.execute(text("""
        SELECT i.tablename, i.indexname, i.indexdef, coalesce(c.conname, '')
        FROM pg_indexes i LEFT JOIN pg_constraint c ON c.conname = i.indexname AND c.contype = 'u'
        WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables) AND i.indexname NOT LIKE '%pkey'
    """), {"tables": tables})  # fmt: skip
    return [tuple(r) for r in rows]


def generate(engine: Engine, handoffs: int, now: float) -> Dict[str, int]:
    """The year of history, written by the server; returns the row count of each table."""
    conversations = -(-handoffs * HANDOFF_EVERY[1] // HANDOFF_EVERY[0])
    start, span = now - 365 * DAY, 365 * DAY
    tables = ["conversations", "handoffs", "handoff_events", "qa_findings"]
    with engine.begin() as conn:
        dropped = secondary_indexes(conn, tables)
        for table, name, _, constraint in dropped:  # built again after the load: much faster than row by row
            conn.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}" if constraint
                              else f"DROP INDEX {name}"))  # fmt: skip
        conn.execute(text("CREATE SEQUENCE IF NOT EXISTS bench_event_seq"))
    steps = [
        ("shop: customers", SHOP_SQL[0], {"customers": CUSTOMERS}),
        ("shop: orders", SHOP_SQL[1], {"customers": CUSTOMERS, "orders": ORDERS, "start": start, "span": span}),
        (f"{conversations:,} conversations", CONVERSATIONS_SQL,
         {"n": conversations, "start": start, "step": span / conversations, "customers": CUSTOMERS,
          "every": HANDOFF_EVERY[1], "handed": HANDOFF_EVERY[0]}),
        (f"{handoffs:,} handoffs", HANDOFFS_SQL, {"agents": AGENTS}),
    ]  # fmt: skip
    for what, sql, params in steps:
        with engine.begin() as conn:
            timed(what, lambda: conn.execute(text(sql), params))  # noqa: B023 (run at once)
    began = time.perf_counter()
    for i in range(CHUNKS):
        a, b = start + span * i / CHUNKS, start + span * (i + 1) / CHUNKS
        if i == CHUNKS - 1:
            b = now + DAY  # the last handoffs' events run a little past their creation
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL work_mem = '256MB'"))
            conn.execute(text(EVENTS_SQL), {"a": a, "b": b})
    print(f"  events, in time order: {time.perf_counter() - began:.1f} s", flush=True)
    with engine.begin() as conn:
        timed("QA findings", lambda: conn.execute(text(QA_SQL)))
    with engine.connect() as conn:
        conn.execute(text("SET maintenance_work_mem = '512MB'"))
        conn.execute(text("SET max_parallel_maintenance_workers = 2"))
        for _table, name, create, _constraint in dropped:
            timed(f"index {name}", lambda: conn.execute(text(create)))  # noqa: B023 (a constraint's: a unique index)
        conn.commit()
    counts = {}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables + ["customers", "orders"]:
            timed(f"VACUUM ANALYZE {table}", lambda: conn.execute(text(f"VACUUM ANALYZE {table}")))  # noqa: B023
            counts[table] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    return counts


def median_ms(run: Callable[[], object]) -> float:
    return statistics.median(run_times(run, RUNS)) * 1000


@contextmanager
def statements(engine: Engine) -> Iterator[List[Tuple[str, object]]]:
    """The SQL statements (with their parameters) sent while the block runs."""
    sent: List[Tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def explain(engine: Engine, name: str, run: Callable[[], object], over_ms: float = 100) -> None:
    """EXPLAIN ANALYZE of each statement the report sends that takes longer than over_ms."""
    with statements(engine) as sent:
        run()
    with engine.connect() as conn:
        for statement, parameters in sent:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars().all()
            took = next((float(line.split(":")[1].split()[0]) for line in plan if "Execution Time" in line), 0.0)
            if took >= over_ms:
                print(f"\n--- {name}: {took:.0f} ms\n{statement}\n{parameters}\n" + "\n".join(plan))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--handoffs", type=int, default=1_000_000)
    ap.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the queries over 100 ms")
    ap.add_argument("--keep", action="store_true", help="keep the database (and reuse it: no generation)")
    ap.add_argument("--server", default=SERVER, help=f"a PostgreSQL server's URL, without a database ({SERVER})")
    args = ap.parse_args()
    cfg = load_shop_config(ROOT / "shop.yml")
    tz = ZoneInfo(cfg.shop.timezone)
    now = float(int(time.time()))
    with scratch_database(args.server, DATABASE) if not args.keep else nullcontext(f"{args.server}/{DATABASE}") as url:
        if args.keep:
            ensure_database(url)
        record = open_record(url)
        engine: Engine = record.kw["bind"]
        shop_models.Base.metadata.create_all(engine)
        with engine.connect() as conn:
            have = conn.execute(text("SELECT count(*) FROM handoffs")).scalar()
            if have:
                now = conn.execute(text("SELECT max(resolved_at) FROM handoffs")).scalar()
        began = time.perf_counter()
        if not have:
            print(f"generating a year of history ({args.handoffs:,} handoffs) in {url}", flush=True)
            counts = generate(engine, args.handoffs, now)
            print(f"generated in {time.perf_counter() - began:.0f} s: "
                  + ", ".join(f"{table} {n:,}" for table, n in counts.items()), flush=True)  # fmt: skip
        with engine.connect() as conn:
            kinds = conn.execute(text("SELECT kind, count(*) FROM handoff_events GROUP BY kind ORDER BY 2 DESC")).all()
        print("handoff_events by kind: " + ", ".join(f"{k} {n:,}" for k, n in kinds), flush=True)
        measure(engine, record, cfg, tz, now, url, args.explain)
        close(record)


def period_of(days: int, tz: ZoneInfo, now: float) -> Period:
    today = datetime.fromtimestamp(now, tz).date()
    return parse_period((today - timedelta(days=days - 1)).isoformat(), today.isoformat(), tz, now)


def measure(engine: Engine, record, cfg, tz: ZoneInfo, now: float, url: str, plans: bool) -> None:
    shop = ShopRepository.connect(url)
    month, year = period_of(30, tz, now), period_of(365, tz, now)

    def scan(sql: str) -> Callable[[], object]:
        def run() -> object:
            with engine.connect() as conn:
                return conn.execute(text(sql)).all()

        return run

    settled = rollup.last_settled(cfg, now)
    with record() as session:
        todo = rollup.missing_days(session, cfg, year.first, settled, conversion=True)
    began = time.perf_counter()
    rollup.roll_up(record, cfg, todo, shop.orders_placed, now)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM report_days")).scalar()
    print(f"rolled up {len(todo)} settled days of the year in {time.perf_counter() - began:.1f} s "
          f"(report_days: {rows:,} rows)", flush=True)  # fmt: skip
    exact = cfg.copy(update={"reports": cfg.reports.copy(update={"exact_days": 366})})
    events_ms = median_ms(scan("SELECT count(*), sum(length(detail)) FROM handoff_events"))
    handoffs_ms = median_ms(scan("SELECT count(*), sum(length(conversation_id)) FROM handoffs"))
    reports: List[Tuple[str, Callable[[], object]]] = [
        (f"report, 30 days, by {by}", lambda by=by: report(record, cfg, month, by, shop.orders_placed))
        for by in GROUP_BY
    ]
    reports += [
        (f"report, 365 days, by {by}", lambda by=by: report(record, cfg, year, by, shop.orders_placed, now))
        for by in GROUP_BY
    ]
    reports += [
        ("report, 365 days, by day, exact", lambda: report(record, exact, year, "day", shop.orders_placed, now)),
        ("QA report, 30 days", lambda: quality_report(record, cfg, month)),
        ("staffing forecast, 4 weeks", lambda: staffing_plan(record, cfg, now, 4, 0.8, 30)),
    ]
    print(f"\nmedian of {RUNS} runs; baseline: a full scan of handoff_events, {events_ms:.0f} ms = 1.00x "
          f"(of handoffs: {handoffs_ms:.0f} ms)")  # fmt: skip
    print(f"{'':34} {'ms':>8} {'vs events scan':>15} {'vs handoffs scan':>17}")
    slow = []
    for name, run in reports:
        ms = median_ms(run)
        print(f"{name:34} {ms:8.0f} {ms / events_ms:14.2f}x {ms / handoffs_ms:16.2f}x", flush=True)
        if ms > 1000 or plans:
            slow.append((name, run))
    if plans:
        for name, run in slow:
            explain(engine, name, run)
    shop.close()


if __name__ == "__main__":
    main()
