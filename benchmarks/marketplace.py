"""The marketplace channel against the plain REST channel, on the same running stack, in the same run.

    python -m benchmarks.marketplace [--turns 320]

Starts the whole stack on free ports (the fake marketplace included) and sends the same messages both ways at
concurrency 1 and 8:
  REST         POST /webhooks/rest/webhook, the replies in the answer; latency = request -> answer.
  marketplace  the fake marketplace signs each event and POSTs it to /webhooks/marketplace/webhook (at most
               `concurrency` calls in flight, as a platform does); the bot's replies go into the outbox and the
               sender POSTs them to the fake marketplace's API. Latency = the platform's first delivery attempt
               -> the last reply to that message received by the platform (both stamped by the fake, one clock).
Events/s counts messages answered per second, from the first send to the last reply. Every message must be
answered (nothing lost) and no reply may arrive twice. Writes benchmarks/out/marketplace.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict

import requests

from benchmarks.bot_throughput import drive
from benchmarks.stats import percentile
from scripts.stack import ROOT, Stack

OUT = ROOT / "benchmarks" / "out"
MESSAGES = ["hi", "how long does shipping take?", "what payment methods do you accept?", "what is your return policy?",
            "do you have any coupons?", "你好", "运费怎么算", "可以用什么方式付款", "退货政策是什么",
            "thanks"]  # fmt: skip


def wait_drained(stack: Stack, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while requests.get(f"{stack.rasa_url}/webhooks/marketplace/", timeout=10).json()["sending"]:
        if time.monotonic() > deadline:
            raise TimeoutError("the outbox did not drain")
        time.sleep(0.1)


def marketplace_run(stack: Stack, turns: int, concurrency: int, tag: str) -> Dict[str, float]:
    # as the REST baseline: `concurrency` buyers at a time, a new buyer every round of messages
    rounds = [divmod(i // concurrency, len(MESSAGES)) for i in range(turns)]
    events = [{"buyer_id": f"{tag}-{concurrency}-{i % concurrency}-{r}", "text": MESSAGES[m]}
              for i, (r, m) in enumerate(rounds)]  # fmt: skip
    buyers = {e["buyer_id"] for e in events}
    before = requests.get(f"{stack.marketplace_url}/_stats", timeout=10).json()
    r = requests.post(f"{stack.marketplace_url}/_send", json={"events": events, "concurrency": concurrency},
                      timeout=1800)  # fmt: skip
    r.raise_for_status()
    undelivered = [x for x in r.json()["results"] if not x["delivered"]]
    wait_drained(stack)
    after = requests.get(f"{stack.marketplace_url}/_stats", timeout=10).json()
    latencies, first, last, unanswered = [], float("inf"), 0.0, 0
    for buyer in buyers:
        thread = requests.get(f"{stack.marketplace_url}/_conversations/c-{buyer}", timeout=10).json()["messages"]
        answered_at: Dict[str, float] = defaultdict(float)
        for m in thread:
            if m["from"] == "shop" and m.get("reply_to"):
                answered_at[m["reply_to"]] = max(answered_at[m["reply_to"]], m["at"])
        for m in thread:
            if m["from"] != "buyer":
                continue
            done = answered_at.get(m["message_id"])
            if not done:
                unanswered += 1
                continue
            latencies.append((done - m["sent_at"]) * 1000)
            first, last = min(first, m["sent_at"]), max(last, done)
    return {
        "turns_per_s": len(latencies) / (last - first),
        "p50_ms": statistics.median(latencies),
        "p95_ms": percentile(latencies, 95),
        "lost": len(undelivered) + unanswered,
        "duplicate_replies": after.get("duplicate_replies", 0) - before.get("duplicate_replies", 0),
    }


def report(rest: Dict[str, float], mkt: Dict[str, float]) -> str:
    return (
        f"REST {rest['turns_per_s']:.1f}/s p50 {rest['p50_ms']:.0f} p95 {rest['p95_ms']:.0f} ms | "
        f"marketplace {mkt['turns_per_s']:.1f}/s p50 {mkt['p50_ms']:.0f} p95 {mkt['p95_ms']:.0f} ms | "
        f"marketplace/REST: events/s {mkt['turns_per_s'] / rest['turns_per_s']:.2f}x, "
        f"p95 {mkt['p95_ms'] / rest['p95_ms']:.2f}x | lost {mkt['lost']:.0f}, "
        f"duplicate replies {mkt['duplicate_replies']:.0f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=320, help="messages per channel and concurrency level")
    args = ap.parse_args()
    var = Path(tempfile.mkdtemp(prefix="kefu-mkt-bench-"))
    stack = Stack.on_free_ports(var_dir=var, keep_online="").start(timeout=300)
    results: Dict[str, Dict[str, float]] = {}
    try:
        rest_url = f"{stack.rasa_url}/webhooks/rest/webhook"
        drive(rest_url, MESSAGES, 20, 2, "warm")  # first turns load lazily: not measured
        marketplace_run(stack, 20, 2, "warm")
        for c in (1, 8):
            results[f"rest_c{c}"] = drive(rest_url, MESSAGES, args.turns, c, "rest")
            results[f"marketplace_c{c}"] = marketplace_run(stack, args.turns, c, "mkt")
            rest, mkt = results[f"rest_c{c}"], results[f"marketplace_c{c}"]
            print(f"concurrency {c}: " + report(rest, mkt), flush=True)
    finally:
        stack.stop()
    OUT.mkdir(exist_ok=True)
    (OUT / "marketplace.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
