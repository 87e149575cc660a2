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

from benchmarks.traffic import KEFU_MESSAGES, QUESTIONS, at_limit, deliver, rss_mb
from connectors.deliveries import turn_of
from scripts.stack import ROOT, Stack, scratch_database
from shop.formats import MAX_BUYER_TEXT

POSTGRES = "postgresql://postgres@127.0.0.1:5432"  # the machine's; --postgres for another server
PER_BUYER = 25
LONG = {0: at_limit(QUESTIONS["zh"]), 1: at_limit(QUESTIONS["latin"])}


def script_of(buyer: int) -> List[str]:
    """A buyer's messages; the 50th message overall is at the length limit, one per buyer at most."""
    texts = [KEFU_MESSAGES[(buyer + i) % len(KEFU_MESSAGES)] for i in range(PER_BUYER)]
    if buyer % 2 == 0:
        texts[PER_BUYER // 2] = LONG[buyer // 2 % 2]
    return texts


def soak(database: str, messages: int, concurrency: int) -> Dict:
    """Send the messages through a 3-process stack on this database; what came back, counted."""
    buyers = messages // PER_BUYER
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
            if sent["n"] == messages // 10 and "warm" not in rss:
                rss["warm"] = [rss_mb(pid) for pid in rasa]

    try:
        rss["start"] = [rss_mb(pid) for pid in rasa]
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
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
    total = buyers * PER_BUYER
    return {"messages": total, "at_limit": buyers // 2, "seconds": round(elapsed, 1), "turns_per_s": total / elapsed,
            "lost": lost, "duplicate": duplicate, "answer_differs": wrong, "rasa_rss_mb": rss}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=10000, help="buyer messages in all")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--postgres", default=POSTGRES, help="a PostgreSQL server URL without a database name")
    args = ap.parse_args()
    with scratch_database(args.postgres, f"kefu_soak_{os.getpid()}") as database:
        out = soak(database, args.messages, args.concurrency)
    (ROOT / "benchmarks" / "out").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "out" / "soak.json").write_text(json.dumps(out, indent=2))
    rss = out["rasa_rss_mb"]
    growth = [end / warm for end, warm in zip(rss["end"], rss["warm"], strict=True)]
    print(f"{out['messages']} messages ({out['at_limit']} at {MAX_BUYER_TEXT} characters) in {out['seconds']:.0f} s "
          f"({out['turns_per_s']:.1f}/s) over 3 Rasa processes: {out['lost']} lost, {out['duplicate']} duplicate, "
          f"{out['answer_differs']} answered differently from the transcript")  # fmt: skip
    print("Rasa RSS MB start / after 10% / end: "
          + "; ".join(f"{s:.0f} / {w:.0f} / {e:.0f}" for s, w, e in zip(rss["start"], rss["warm"], rss["end"],
                                                                          strict=True))
          + f"  (end / after 10%: {', '.join(f'{g:.2f}x' for g in growth)})")  # fmt: skip
    sys.exit(1 if out["lost"] or out["duplicate"] or out["answer_differs"] else 0)


if __name__ == "__main__":
    main()
