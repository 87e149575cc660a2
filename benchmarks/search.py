"""How long the console's search (GET /search, helpdesk/record/search.py) takes over a busy shop's history in
PostgreSQL, as ratios to the History's first page (no words: one indexed read) in the same run.

    make bench-search                                    # 91 days of 3,000 conversations a day
    python -m benchmarks.search --per-day 300            # a tenth of it

The conversations are those of benchmarks/trainer_inbox.py (Rasa's own events table, 12 events each, written inside
the server by INSERT ... SELECT into a scratch database, dropped at the end); here one in five is handed off, with
a buyer's name, an order number and a summary on its handoff row. Each figure is the median of 5 runs of search()
itself (no HTTP):
- baseline: the History's first page (state=resolved, 20 rows, newest first);
- an order number, a buyer's name: the record's columns over every handoff;
- a word of the messages: the record's columns, plus the messages of the newest 1,000 handoffs' conversations
  (MESSAGE_SCAN), by sender_id; the same with dates two months back;
- for comparison, what a search without the bound would do: one LIKE over every stored message.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

from rasa.shared.core.domain import Domain
from sqlalchemy import text

from benchmarks.stats import run_times
from benchmarks.trainer_inbox import EVENTS
from connectors.stores import KefuTrackerStore
from helpdesk.record.models import open_record
from helpdesk.record.search import SearchQuery, search
from scripts.stack import scratch_database
from shop.config import load_shop_config
from shop.db import close, make_engine
from shop.settings import ROOT

SERVER = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "kefu_bench_search"
RUNS = 5
DAY = 86_400
HANDED_OFF = 5  # one conversation in this many
HANDOFFS = """
INSERT INTO handoffs (id, conversation_id, channel, customer, customer_name, language, category, priority, vip,
                      reason, order_number, summary, created_at, state, resolved_at, front)
SELECT 'h-' || c, 'bench-' || c, CASE WHEN c % 2 = 0 THEN 'webchat' ELSE 'marketplace' END, 'buyer-' || (c % 50000),
       'Buyer ' || (c % 50000), 'en', 'order', 0, false, 'requested', 'A1' || lpad((c % 9999)::text, 4, '0'),
       'where is my order, asked ' || (c % 7) || ' times', :start + c * :spacing + 170, 'resolved',
       :start + c * :spacing + 770, false
FROM generate_series(0, :conversations - 1, :every) AS c
"""


def median_s(fn: Callable[[], object]) -> float:
    return statistics.median(run_times(fn, RUNS))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", default=SERVER)
    ap.add_argument("--days", type=int, default=91, help="history stored (default 91)")
    ap.add_argument("--per-day", type=int, default=3000, help="conversations a day (default 3,000)")
    args = ap.parse_args()
    masks = load_shop_config(ROOT / "shop.yml").formats.order_numbers
    conversations = args.days * args.per_day
    now = time.time()
    values = {"start": now - args.days * DAY, "spacing": DAY / args.per_day, "conversations": conversations,
              "every": HANDED_OFF}  # fmt: skip
    with scratch_database(args.server, DATABASE) as url:
        KefuTrackerStore(Domain.empty(), host=url).engine.dispose()  # Rasa's events table, as Rasa makes it
        record = open_record(url)
        engine = make_engine(url)
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("SELECT setseed(0.17)"))
            for sql in (EVENTS, HANDOFFS):
                conn.execute(text(sql), values)
        with engine.begin() as conn:  # committed: statistics analysed inside a transaction that rolls back are lost
            conn.execute(text("ANALYZE"))
        with engine.connect() as conn:
            events = conn.execute(text("SELECT count(*) FROM events")).scalar()
            handoffs = conn.execute(text("SELECT count(*) FROM handoffs")).scalar()
        print(f"{conversations:,} conversations over {args.days} days, {events:,} events, {handoffs:,} handoffs, "
              f"stored in {time.perf_counter() - started:.0f} s")  # fmt: skip

        def timed(label: str, query: SearchQuery, base: float = 0.0) -> float:
            found = search(record, engine, query, masks)
            took = median_s(lambda: search(record, engine, query, masks))
            ratio = f" = {took / base:5.1f}x the History's page" if base else ""
            print(f"{label:<46} {found['total']:>7,} found {took * 1000:7.0f} ms{ratio}")
            return took

        base = timed("History, first page (baseline)", SearchQuery(state="resolved"))
        timed("an order number (a10042)", SearchQuery("a10042"), base)
        timed("a buyer's name (Buyer 4710)", SearchQuery("Buyer 4710"), base)
        timed("a word of the messages (mail me at buyer2)", SearchQuery("mail me at buyer2"), base)
        two_months = now - 60 * DAY
        timed("the same, 60-61 days ago", SearchQuery("mail me at buyer2", two_months - DAY, two_months), base)

        def unbounded() -> int:
            query = text("SELECT count(DISTINCT sender_id) FROM events WHERE type_name IN ('user', 'bot') "
                         "AND lower(data) LIKE '%mail me at buyer2%'")  # fmt: skip
            with engine.connect() as conn:
                return conn.execute(query).scalar()

        hits, took = unbounded(), median_s(unbounded)
        print(f"{'without the bound: LIKE over every message':<46} {hits:>7,} found {took * 1000:7.0f} ms = "
              f"{took / base:5.1f}x the History's page")  # fmt: skip
        engine.dispose()
        close(record)


if __name__ == "__main__":
    main()
