"""Full REST turns per second and latency of kefu vs a stock `rasa init` bot, trained in this run.

    python -m benchmarks.bot_throughput [--turns 300] [--skip-train]

Both bots are trained here (timed), served by `rasa run` on this machine, and driven with the
same client at concurrency 1 and 8. A "turn" is one POST to /webhooks/rest/webhook answered
in full: NLU, policy, and for kefu the custom action (database, carrier HTTP call). Figures are
printed as ratios kefu / stock so a noisy shared machine still gives a fair comparison.
Results also go to benchmarks/out/bot_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import psutil
import requests

from benchmarks.traffic import KEFU_MESSAGES, rss_mb
from scripts.stack import BIN, ROOT, Stack, free_port, wait_http

STOCK_MESSAGES = ["hi", "I am sad", "great", "are you a bot?", "bye", "hello there", "very good", "not good"]


def train(cmd: List[str], cwd: Path) -> float:
    started = time.monotonic()
    subprocess.run(
        cmd,
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return time.monotonic() - started


def drive(url: str, messages: List[str], turns: int, concurrency: int, tag: str) -> Dict[str, float]:
    """Send `turns` messages from `concurrency` buyers at once; latency per turn in ms."""
    latencies: List[float] = []
    lock = threading.Lock()
    per_worker = turns // concurrency

    def worker(w: int) -> None:
        session = requests.Session()
        for i in range(per_worker):
            sender = f"{tag}-{concurrency}-{w}-{i // len(messages)}"  # a new buyer every round of messages
            t0 = time.perf_counter()
            r = session.post(url, json={"sender": sender, "message": messages[i % len(messages)]}, timeout=60)
            dt = (time.perf_counter() - t0) * 1000
            r.raise_for_status()
            with lock:
                latencies.append(dt)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "turns_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=320, help="turns per bot and concurrency level")
    ap.add_argument("--skip-train", action="store_true", help="use models/kefu.tar.gz instead of training kefu again")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kefu-bench-"))
    results: Dict = {"machine": {"cpus": os.cpu_count(), "mem_gb": round(psutil.virtual_memory().total / 2**30)}}

    print("training the stock `rasa init` bot ...", flush=True)
    stock_dir = work / "stock"
    stock_dir.mkdir()
    results["stock_train_s"] = train([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(stock_dir)], work)
    stock_model = next((stock_dir / "models").glob("*.tar.gz"))
    if args.skip_train:
        kefu_model = ROOT / "models" / "kefu.tar.gz"
        results["kefu_train_s"] = None
    else:
        print("training kefu ...", flush=True)
        results["kefu_train_s"] = train(
            [
                str(BIN / "rasa"),
                "train",
                "--domain",
                "domain",
                "--out",
                str(work / "models"),
                "--fixed-model-name",
                "kefu",
            ],
            ROOT,
        )
        kefu_model = work / "models" / "kefu.tar.gz"
    results["kefu_model_mb"] = kefu_model.stat().st_size / 2**20
    results["stock_model_mb"] = stock_model.stat().st_size / 2**20

    print("starting both servers ...", flush=True)
    stack = Stack.on_free_ports(model=kefu_model, var_dir=work / "var").start(timeout=300)
    stock_port = free_port()
    stock = subprocess.Popen(
        [
            str(BIN / "python"),
            "-m",
            "scripts.rasa_cli",  # as kefu's server: without JAX (scripts/rasa_cli.py)
            "run",
            "--enable-api",
            "--port",
            str(stock_port),
            "--model",
            str(stock_model),
            "--interface",
            "127.0.0.1",
        ],
        cwd=stock_dir,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{stock_port}/status", 300, stock)
        kefu_url = f"{stack.rasa_url}/webhooks/rest/webhook"
        stock_url = f"http://127.0.0.1:{stock_port}/webhooks/rest/webhook"
        drive(kefu_url, KEFU_MESSAGES, 20, 2, "warm")  # warm-up: first TF calls, DB pool, jieba
        drive(stock_url, STOCK_MESSAGES, 20, 2, "warm")
        for c in (1, 8):
            results[f"kefu_c{c}"] = drive(kefu_url, KEFU_MESSAGES, args.turns, c, "kefu")
            results[f"stock_c{c}"] = drive(stock_url, STOCK_MESSAGES, args.turns, c, "stock")
        rasa_pid = stack.procs["rasa"].pid
        results["kefu_rasa_rss_mb"] = rss_mb(rasa_pid)
        results["kefu_actions_rss_mb"] = rss_mb(stack.procs["actions"].pid)
        results["stock_rasa_rss_mb"] = rss_mb(stock.pid)
    finally:
        stock.terminate()
        stack.stop()

    print("\n                         kefu      stock   kefu/stock")
    for c in (1, 8):
        k, s = results[f"kefu_c{c}"], results[f"stock_c{c}"]
        for key, name in (("turns_per_s", "turns/s"), ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms")):
            print(f"{name:8} c={c}        {k[key]:8.1f}  {s[key]:8.1f}   {k[key] / s[key]:6.2f}x")
    if results["kefu_train_s"]:
        print(
            f"train s              {results['kefu_train_s']:8.0f}  {results['stock_train_s']:8.0f}   "
            f"{results['kefu_train_s'] / results['stock_train_s']:6.2f}x"
        )
    print(f"model MB             {results['kefu_model_mb']:8.1f}  {results['stock_model_mb']:8.1f}")
    print(
        f"Rasa server RSS MB   {results['kefu_rasa_rss_mb']:8.0f}  {results['stock_rasa_rss_mb']:8.0f}   "
        f"(+ kefu action server {results['kefu_actions_rss_mb']:.0f} MB)"
    )
    out = ROOT / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    (out / "bot_throughput.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
