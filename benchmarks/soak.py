"""A soak of the scale-out topology: 10,000 buyer messages across 3 Rasa processes behind HAProxy.

    make soak      (python -m benchmarks.soak [--messages 10000] [--concurrency 16])

Buyers (benchmarks/traffic.py) each send a run of messages with message ids, retrying like real clients;
one message in 50 is at the length limit (10,000 characters, Chinese or Latin). At the end every
transcript is read back: a message missing from it is lost, a message in it twice is a duplicate, and
every answer a buyer got must be the one the transcript holds. The Rasa processes' RSS is sampled
after a tenth of the messages and at the end: flat means it stopped growing once warm.
Exits 1 on any lost or duplicate message. Results also go to benchmarks/out/soak.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import requests
import sqlalchemy

from benchmarks.traffic import KEFU_MESSAGES, deliver, rss_mb
from connectors.deliveries import turn_of
from scripts.stack import ROOT, Stack, ensure_database
from shop.formats import MAX_BUYER_TEXT

POSTGRES = "postgresql://postgres@127.0.0.1:5432"  # the machine's; --postgres for another server
PER_BUYER = 25
LONG = {
    0: ("我的订单到现在还没有发货，快递信息一直没有更新，请帮我查一下。" * MAX_BUYER_TEXT)[:MAX_BUYER_TEXT],
    1: ("hello, my parcel has not moved in days, please check what is going on. " * MAX_BUYER_TEXT)[:MAX_BUYER_TEXT],
}


def script_of(buyer: int) -> List[str]:
    """A buyer's messages; the 50th message overall is at the length limit, one per buyer at most."""
    texts = [KEFU_MESSAGES[(buyer + i) % len(KEFU_MESSAGES)] for i in range(PER_BUYER)]
    if buyer % 2 == 0:
        texts[PER_BUYER // 2] = LONG[buyer // 2 % 2]
    return texts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=10000, help="buyer messages in all")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--postgres", default=POSTGRES, help="a PostgreSQL server URL without a database name")
    args = ap.parse_args()
    postgres = args.postgres
    buyers = args.messages // PER_BUYER
    database = f"{postgres}/kefu_soak_{os.getpid()}"
    ensure_database(database)
    stack = Stack.on_free_ports(replicas=3, database_url=database, tracker_database_url=database,
                                var_dir=Path(tempfile.mkdtemp(prefix="kefu-soak-")), keep_online="")  # fmt: skip
    stack.start(timeout=600)
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    rasa = [stack.procs[f"rasa-{i}"].pid for i in (1, 2, 3)]
    answers: Dict[str, List[List[str]]] = {}
    sent = {"n": 0}
    rss: Dict[str, List[float]] = {}

    def buyer(b: int) -> None:
        session, sender = requests.Session(), f"soak-{b}"
        answers[sender] = []
        for i, text in enumerate(script_of(b)):
            replies = deliver(session, url, sender, text, f"{sender}-m{i}")
            answers[sender].append([m.get("text") for m in replies])
            sent["n"] += 1
            if sent["n"] == args.messages // 10 and "warm" not in rss:
                rss["warm"] = [rss_mb(pid) for pid in rasa]

    try:
        rss["start"] = [rss_mb(pid) for pid in rasa]
        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(buyer, range(buyers)))
        elapsed = time.perf_counter() - started
        rss["end"] = [rss_mb(pid) for pid in rasa]
        lost = duplicate = wrong = 0
        http = requests.Session()
        for b in range(buyers):
            sender = f"soak-{b}"
            tracker = f"{stack.rasa_url}/conversations/{sender}/tracker?token={stack.rasa_token}"
            events = http.get(tracker, timeout=30).json()["events"]
            ids = [(e.get("metadata") or {}).get("message_id") for e in events if e["event"] == "user"]
            for i, got in enumerate(answers[sender]):
                mid = f"{sender}-m{i}"
                lost += ids.count(mid) == 0
                duplicate += ids.count(mid) > 1
                wrong += got != [e["text"] for e in (turn_of(events, mid) or [])]
    finally:
        stack.stop()
        engine = sqlalchemy.create_engine(f"{postgres}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "kefu_soak_{os.getpid()}" WITH (FORCE)'))
        engine.dispose()
    total = buyers * PER_BUYER
    out = {"messages": total, "at_limit": buyers // 2, "seconds": round(elapsed, 1), "turns_per_s": total / elapsed,
           "lost": lost, "duplicate": duplicate, "answer_differs": wrong, "rasa_rss_mb": rss}  # fmt: skip
    (ROOT / "benchmarks" / "out").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "out" / "soak.json").write_text(json.dumps(out, indent=2))
    growth = [end / warm for end, warm in zip(rss["end"], rss["warm"], strict=True)]
    print(f"{total} messages ({buyers // 2} at {MAX_BUYER_TEXT} characters) in {elapsed:.0f} s "
          f"({total / elapsed:.1f}/s) over 3 Rasa processes: {lost} lost, {duplicate} duplicate, "
          f"{wrong} answered differently from the transcript")  # fmt: skip
    print("Rasa RSS MB start / after 10% / end: "
          + "; ".join(f"{s:.0f} / {w:.0f} / {e:.0f}" for s, w, e in zip(*rss.values(), strict=True))
          + f"  (end / after 10%: {', '.join(f'{g:.2f}x' for g in growth)})")  # fmt: skip
    sys.exit(1 if lost or duplicate or wrong else 0)


if __name__ == "__main__":
    main()
