"""How long the trainer's inbox takes over a busy shop's stored conversations in PostgreSQL, as ratios to reading
the same buyer messages raw in the same run.

    make bench-trainer                                    # 91 days of 3,000 conversations a day
    python -m benchmarks.trainer_inbox --per-day 300      # a tenth of it

The conversations are written into a database of the run's own on this machine's PostgreSQL (--server, by default
postgresql://postgres@127.0.0.1:5432), dropped at the end, by INSERT ... SELECT over generate_series inside the
server, in Rasa's own events table (connectors/stores.py KefuTrackerStore makes it). Each conversation has 6 buyer
messages and 6 bot events; of the buyer messages 5% went to the fallback and 5% were understood under the shop's
confidence threshold, spread over 1,500 distinct texts each (a third of the unsure ones carry an email, masked
into one entry); 1% of the conversations end in a "not understood" handoff; agents flagged 500 lines.

Each figure is the median of 5 runs:
- baseline: the buyer messages of the window read raw (SELECT of their JSON, all rows fetched): the least any
  harvest must do;
- the inbox (helpdesk/training/inbox.py Trainer.inbox): read, parse, mask, de-duplicate, count, drop decided;
- a decision (Trainer.decide, with the file write): by a process that has not shown the entry, which looks it up in
  the widest inbox (90 days); and as the helpdesk decides, on an entry its inbox has just shown (Shown).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict

from rasa.shared.core.domain import Domain
from sqlalchemy import text
from sqlalchemy.engine import Engine

from benchmarks.stats import run_times
from connectors.stores import KefuTrackerStore
from helpdesk.record.models import open_record
from helpdesk.training.examples import ReviewedFile
from helpdesk.training.inbox import LOOKBACK_S, Shown, Trainer
from scripts.stack import scratch_database
from shop.config import load_shop_config
from shop.db import close, make_engine
from shop.settings import ROOT

SERVER = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "kefu_bench_trainer"
RUNS = 5
DAY = 86_400

EVENTS = """
INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)
SELECT cid, kind, at, intent, action,
       CASE WHEN kind = 'user' THEN json_build_object('event', 'user', 'timestamp', at, 'text', said,
            'parse_data', json_build_object('text', said, 'intent',
                json_build_object('name', intent, 'confidence', confidence)))::text
       ELSE json_build_object('event', kind, 'timestamp', at, 'name', action)::text END
FROM (
    SELECT 'bench-' || c AS cid, c, k, :start + c * :spacing + k * 15.0 AS at,
           CASE WHEN k % 2 = 0 THEN 'user' ELSE 'action' END AS kind,
           CASE WHEN k % 2 = 1 THEN 'action_listen' END AS action,
           CASE WHEN k % 2 = 1 THEN NULL WHEN r < 0.05 THEN 'nlu_fallback' WHEN r < 0.10 THEN 'greet'
                ELSE 'order_status' END AS intent,
           CASE WHEN r < 0.05 THEN 0.3 WHEN r < 0.10 THEN 0.45 ELSE 0.95 END AS confidence,
           CASE WHEN r < 0.05 THEN 'cn u help w the thing no ' || floor(r2 * 1500)::int
                WHEN r < 0.10 AND r2 < 0.33 THEN 'hmm about my stuff no ' || floor(r2 * 1500)::int
                                                 || ' mail me at buyer' || c || '@example.com'
                WHEN r < 0.10 THEN 'not sure about the stuff no ' || floor(r2 * 1500)::int
                ELSE 'where is my order A1' || lpad((c % 9999)::text, 4, '0') END AS said
    FROM (SELECT c, k, random() AS r, random() AS r2
          FROM generate_series(0, :conversations - 1) AS c, generate_series(0, 11) AS k) AS drawn
) AS made
"""
HANDOFFS = """
INSERT INTO handoffs (id, conversation_id, channel, customer, language, category, priority, vip, reason, summary,
                      created_at, state, front)
SELECT 'h-' || c, 'bench-' || c, 'rest', '', 'en', 'other', 0, false, 'bot_failed', '', :start + c * :spacing + 170,
       'resolved', false
FROM generate_series(0, :conversations - 1, 100) AS c
"""
FLAGS = """
INSERT INTO training_flags (conversation_id, turn_at, key, text, guessed, intent, agent, at)
SELECT 'bench-' || c, :start + c * :spacing, lpad(to_hex(c), 16, '0'), 'where is my order [order]', 'order_status',
       'track_order', 'ben', :start + c * :spacing + 60
FROM generate_series(:conversations - 500 * 37, :conversations - 1, 37) AS c
"""


def median_s(fn: Callable[[], object]) -> float:
    return statistics.median(run_times(fn, RUNS))


def inbox_row(engine: Engine, trainer: Trainer, since: float, days: int) -> float:
    """One line: the raw read of the window's buyer messages, and the inbox over it; the inbox's seconds."""

    def raw() -> int:
        query = text("SELECT timestamp, data FROM events WHERE type_name = 'user' AND timestamp >= :since")
        with engine.connect() as conn:
            return len(conn.execute(query, {"since": since}).all())

    read, base = raw(), median_s(raw)
    entries = trainer.inbox(since)
    took = median_s(lambda: trainer.inbox(since))
    print(f"inbox over {days:>2} d: {read:>9,} buyer messages -> {len(entries):>5,} entries; raw read "
          f"{base * 1000:7.0f} ms, inbox {took * 1000:7.0f} ms = {took / base:4.1f}x the raw read")  # fmt: skip
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", default=SERVER)
    ap.add_argument("--days", type=int, default=91, help="history stored (default 91)")
    ap.add_argument("--per-day", type=int, default=3000, help="conversations a day (default 3,000)")
    args = ap.parse_args()
    cfg = load_shop_config(ROOT / "shop.yml")
    conversations = args.days * args.per_day
    now = time.time()
    values = {"start": now - args.days * DAY, "spacing": DAY / args.per_day, "conversations": conversations}
    with scratch_database(args.server, DATABASE) as url, tempfile.TemporaryDirectory() as folder:
        KefuTrackerStore(Domain.empty(), host=url).engine.dispose()  # Rasa's events table, as Rasa makes it
        record = open_record(url)
        engine = make_engine(url)
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("SELECT setseed(0.17)"))
            for sql in (EVENTS, HANDOFFS, FLAGS):
                conn.execute(text(sql), values)
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            stored = conn.execute(text("SELECT count(*) FROM events")).scalar()
        print(f"{conversations:,} conversations over {args.days} days, {stored:,} events, stored in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        trainer = Trainer(url, record, cfg, ReviewedFile(Path(folder) / "reviewed.yml"))
        rows: Dict[str, float] = {}
        for indexed in (False, True):
            if indexed:  # what the inbox's query would use: the buyer messages of a window
                with engine.begin() as conn:
                    conn.execute(text("CREATE INDEX ix_bench_events_type_time ON events (type_name, timestamp)"))
                    conn.execute(text("ANALYZE events"))
            print(f"-- events {'with' if indexed else 'without'} an index on (type_name, timestamp)")
            for days in (1, 7, 30):
                rows[f"{days} d {indexed}"] = inbox_row(engine, trainer, now - days * DAY, days)
        keys = iter(e.key for e in trainer.inbox(now - LOOKBACK_S) if "flagged" not in e.why)
        decide = median_s(lambda: trainer.decide(next(keys), "order_status", "tina", time.time()))
        print(f"a decision (its entry looked up in {LOOKBACK_S // DAY} days): {decide * 1000:.0f} ms = "
              f"{decide / rows['1 d True']:.1f}x the 1-day inbox")  # fmt: skip
        # as the helpdesk decides: on an entry its 7-day inbox has just shown (Shown)
        shown = Trainer(url, record, cfg, ReviewedFile(Path(folder) / "reviewed.yml"), Shown())
        keys = iter(e.key for e in shown.inbox(now - 7 * DAY) if "flagged" not in e.why)
        decide = median_s(lambda: shown.decide(next(keys), "order_status", "tina", time.time()))
        print(f"a decision on an entry the inbox has just shown: {decide * 1000:.0f} ms = "
              f"{decide / rows['1 d True']:.3f}x the 1-day inbox")  # fmt: skip
        engine.dispose()
        close(record)


if __name__ == "__main__":
    main()
