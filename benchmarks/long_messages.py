"""What a message at the length limit costs the Rasa server, as a ratio to a short one, in time and memory.

    make bench-long      (python -m benchmarks.long_messages [--rounds 10])

One demo stack; the same buyer question short, and repeated to 10,000 characters (Chinese, then Latin),
over REST one at a time. Reports the median turn of each as a ratio to the short one's, and the Rasa
process's RSS before and after the long messages. Before the NLU read at most 256 tokens, 10,000 Chinese
characters held the server 2.6 s and added 1 GB that was never given back (issue 14).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import requests

from benchmarks.traffic import QUESTIONS, at_limit, deliver, rss_mb
from scripts.stack import Stack
from shop.formats import MAX_BUYER_TEXT


def turns(session: requests.Session, url: str, text: str, rounds: int, tag: str) -> List[float]:
    seconds = []
    for i in range(rounds):
        started = time.perf_counter()
        deliver(session, url, f"{tag}-{i}", text, tries=1)
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    stack = Stack.on_free_ports(var_dir=Path(tempfile.mkdtemp(prefix="kefu-long-")), keep_online="").start()
    try:
        url, session = f"{stack.rasa_url}/webhooks/rest/webhook", requests.Session()
        rasa = stack.procs["rasa"].pid
        turns(session, url, "hi", 5, "warm")
        results: Dict[str, Dict[str, float]] = {}
        for alphabet, question in QUESTIONS.items():
            short = statistics.median(turns(session, url, question, args.rounds, f"short-{alphabet}"))
            before = rss_mb(rasa)
            long = statistics.median(turns(session, url, at_limit(question), args.rounds,
                                           f"long-{alphabet}"))  # fmt: skip
            results[alphabet] = {"short_ms": short * 1000, "long_ms": long * 1000, "ratio": long / short,
                                 "rss_before_mb": before, "rss_growth_mb": rss_mb(rasa) - before}  # fmt: skip
    finally:
        stack.stop()
    for alphabet, r in results.items():
        print(f"{alphabet}: {MAX_BUYER_TEXT} characters {r['long_ms']:.0f} ms vs short {r['short_ms']:.0f} ms "
              f"(median of {args.rounds}): {r['ratio']:.2f}x; Rasa RSS {r['rss_before_mb']:.0f} MB "
              f"{r['rss_growth_mb']:+.0f} MB over {args.rounds} long messages")  # fmt: skip


if __name__ == "__main__":
    main()
