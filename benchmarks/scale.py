"""Turns per second through HAProxy with 1, 2 and 3 Rasa processes, and what the SQL tracker store costs.

    make bench-scale      (python -m benchmarks.scale [--turns 400])

Each topology is a Stack behind HAProxy (one process is behind it too, so every figure pays the proxy)
on the machine's PostgreSQL (a database of this run's own) and an embedded Redis: N Rasa, N action and
N helpdesk processes. Buyers (benchmarks/traffic.py) send `--turns` messages at concurrency 8 and 32.
Printed as ratios in this run: N processes / one, turns/s per core, the SQL store / the in-memory one
(one process; the in-memory store cannot be shared, so it has no scale-out row).
Results also go to benchmarks/out/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import requests

from benchmarks.stats import percentile
from benchmarks.traffic import KEFU_MESSAGES, deliver
from scripts.stack import ROOT, Stack, scratch_database

POSTGRES = "postgresql://postgres@127.0.0.1:5432"  # the machine's; --postgres for another server


def cpu_times() -> List[int]:
    """The machine's CPU time so far (/proc/stat): [busy, total], in ticks."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return [sum(fields) - idle, sum(fields)]


def drive(url: str, turns: int, concurrency: int, tag: str) -> Dict[str, float]:
    """`turns` messages from `concurrency` buyers at once (a new buyer every round of messages); also how
    busy the machine's cores were meanwhile (all processes: kefu's, PostgreSQL, HAProxy, this client)."""
    latencies: List[float] = []
    cpu_before = cpu_times()

    def worker(w: int) -> None:
        session = requests.Session()
        for i in range(turns // concurrency):
            sender = f"{tag}-{w}-{i // len(KEFU_MESSAGES)}"
            started = time.perf_counter()
            deliver(session, url, sender, KEFU_MESSAGES[i % len(KEFU_MESSAGES)], f"{tag}-{w}-{i}", tries=1)
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    elapsed = time.perf_counter() - started
    busy, total = (after - before for after, before in zip(cpu_times(), cpu_before, strict=True))
    return {"turns_per_s": len(latencies) / elapsed, "p50_ms": statistics.median(latencies),
            "p95_ms": percentile(latencies, 95), "cpu_busy": busy / total}  # fmt: skip


def measure(name: str, turns: int, database: str, **stack_args) -> Dict[str, Dict[str, float]]:
    work = Path(tempfile.mkdtemp(prefix=f"kefu-scale-{name}-"))
    stack = Stack.on_free_ports(behind_proxy=True, database_url=database, tracker_database_url=database,
                                var_dir=work, keep_online="", **stack_args)  # fmt: skip
    stack.start(timeout=600)
    try:
        url = f"{stack.rasa_url}/webhooks/rest/webhook"
        drive(url, 4 * len(KEFU_MESSAGES), 4, f"{name}-warm")  # first TF calls, pools, jieba
        results = {f"c{c}": drive(url, turns, c, f"{name}-c{c}") for c in (8, 32)}
    finally:
        stack.stop()
    print(f"  {name}: " + ", ".join(f"c{c} {r['turns_per_s']:.1f} turns/s p95 {r['p95_ms']:.0f} ms, "
                                    f"CPU {r['cpu_busy']:.0%} busy"
                                    for c, r in ((c, results[f'c{c}']) for c in (8, 32))), flush=True)  # fmt: skip
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=400, help="messages per topology and concurrency level")
    ap.add_argument("--postgres", default=POSTGRES, help="a PostgreSQL server URL without a database name")
    args = ap.parse_args()
    runs: Dict[str, Dict] = {}
    with scratch_database(args.postgres, f"kefu_bench_{os.getpid()}") as database:
        runs["memory-1"] = measure("memory-1", args.turns, database, memory_tracker=True)
        for n in (1, 2, 3):
            runs[f"sql-{n}"] = measure(f"sql-{n}", args.turns, database, replicas=n)
    cores = os.cpu_count() or 1
    ratios = {}
    for c in ("c8", "c32"):
        one = runs["sql-1"][c]["turns_per_s"]
        ratios[c] = {
            "sql_vs_memory": one / runs["memory-1"][c]["turns_per_s"],
            **{f"{n}_processes_vs_1": runs[f"sql-{n}"][c]["turns_per_s"] / one for n in (2, 3)},
            **{f"turns_per_s_per_core_{n}": runs[f"sql-{n}"][c]["turns_per_s"] / cores for n in (1, 2, 3)},
        }
    out = {"cores": cores, "turns": args.turns, "runs": runs, "ratios": ratios}
    (ROOT / "benchmarks" / "out").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "out" / "scale.json").write_text(json.dumps(out, indent=2))
    print(f"\n{cores} cores; aims: SQL store >= 0.85 x in-memory, 2 processes >= 1.7 x one")
    for c, r in ratios.items():
        print(f"  {c}: SQL / in-memory {r['sql_vs_memory']:.2f}x; 2 / 1 processes {r['2_processes_vs_1']:.2f}x, "
              f"3 / 1 {r['3_processes_vs_1']:.2f}x; turns/s per core with 1, 2, 3: "
              + ", ".join(f"{r[f'turns_per_s_per_core_{n}']:.1f}" for n in (1, 2, 3)))  # fmt: skip


if __name__ == "__main__":
    main()
