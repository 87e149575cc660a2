"""Many processes at once: 3 helpdesk services, 8 agents going on and off line at random, 300
buyers, timers firing every second, one service killed with -9 and Redis killed and restarted
mid-run; then Redis loses everything and the services rebuild it from SQL.

Asserted: 0 double-assigned and 0 lost, checked atomically in Redis during the whole run
(helpdesk/lua/audit.lua) and over the full event history in SQL (helpdesk/record/audit.py), not just at the end.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Dict, List, Optional

import pytest
import redis
import requests
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from helpdesk import keys
from helpdesk.desk import Desk
from helpdesk.record.audit import record_problems
from helpdesk.record.models import Handoff, HandoffEvent, create_tables
from helpdesk.scripts import HandoffError, LuaScripts
from scripts.stack import free_port
from shop.db import make_engine
from tests.helpdesk.procs import Helpdesk, start_redis
from tests.shop_files import write_shop

AGENTS = [f"ag{i}" for i in range(8)]
CONVERSATIONS = 300
CHAOS_S = 20.0


def stress_shop(raw: dict) -> None:
    raw["timers"].update(remind_after_s=1, reassign_after_s=1, heartbeat_timeout_s=2)
    raw["helpdesk"]["agents"] = [
        {"id": a, "name": a, "capacity": 3, "languages": ["en", "zh"], "categories": ["*"],
         "tier": "senior" if i % 2 else "junior", "groups": [f"g{i % 2}"]}
        for i, a in enumerate(AGENTS)
    ]  # fmt: skip


class Cluster:
    """The services and Redis, and HTTP calls that go to any live service and retry through outages."""

    def __init__(self, tmp_path, redis_port: int, services: List[Helpdesk]) -> None:
        self.tmp_path, self.redis_port, self.services = tmp_path, redis_port, services
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {services[0].token}"

    def call(self, method: str, path: str, body: Optional[dict] = None, tries: int = 50) -> Optional[requests.Response]:
        for _ in range(tries):
            alive = [s for s in self.services if s.proc.poll() is None]
            url = random.choice(alive).url + path
            try:
                r = self.http.request(method, url, json=body, timeout=5)
            except requests.RequestException:
                time.sleep(0.05)
                continue
            if r.status_code < 500:
                return r
            time.sleep(0.05)  # 503: Redis is restarting
        return None


@pytest.fixture
def cluster(tmp_path):
    redis_port = free_port()
    procs = {"redis": start_redis(redis_port, tmp_path, tmp_path / "redis.log")}
    env = {
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "HELPDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'helpdesk.db'}",
        "KEFU_SHOP_CONFIG": str(write_shop(tmp_path, stress_shop)),
        "KEFU_HELPDESK_TOKEN": "stress",
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
    }
    services = [Helpdesk(env, tmp_path / f"helpdesk-{i}.log") for i in range(3)]
    c = Cluster(tmp_path, redis_port, services)
    c.procs = procs
    yield c
    for s in services:
        s.stop(kill=True)
    procs["redis"].kill()
    procs["redis"].wait(10)


def _desk(port: int) -> Desk:
    return Desk.from_scripts(LuaScripts(redis.Redis(port=port, decode_responses=True, socket_timeout=2)))


@pytest.mark.slow
def test_three_services_chaos_kill_9_and_redis_restart_lose_nothing_and_never_double_assign(cluster, tmp_path):
    rng = random.Random(42)
    desk = _desk(cluster.redis_port)  # this process also acts, as an action server and Rasa's broker do
    stop = threading.Event()
    confirmed: List[str] = []
    problems: List[str] = []
    actions: Counter = Counter()
    lock = threading.Lock()

    def buyers() -> None:
        for i in range(CONVERSATIONS):
            cid = f"s-{i}"
            body = {"conversation_id": cid, "language": rng.choice(["en", "zh"]), "priority": rng.choice([0, 0, 5, 10]),
                    "category": rng.choice(["human", "complaint"])}  # fmt: skip
            while cluster.call("POST", "/handoffs", body) is None:  # enqueue is idempotent: retry until answered
                time.sleep(0.1)
            with lock:
                confirmed.append(cid)
            if confirmed and rng.random() < 0.3:
                try:
                    desk.queue.buyer_message(rng.choice(confirmed))  # as Rasa's event broker does
                except redis.RedisError:
                    pass
            time.sleep(rng.uniform(0, 2 * CHAOS_S / CONVERSATIONS))

    def agent(aid: str) -> None:
        arng = random.Random(aid)
        silent_until = 0.0
        while not stop.is_set():
            roll = arng.random()
            try:
                if roll < 0.05:
                    cluster.call("POST", f"/agents/{aid}/status", {"status": "offline"}, tries=3)
                    actions["offline"] += 1
                elif roll < 0.10:
                    cluster.call("POST", f"/agents/{aid}/status", {"status": "away"}, tries=3)
                elif roll < 0.25:
                    cluster.call("POST", f"/agents/{aid}/status", {"status": "online"}, tries=3)
                elif roll < 0.28:
                    silent_until = time.monotonic() + 3  # stops sending heartbeats for a while
                elif roll < 0.55:
                    r = cluster.call("GET", f"/agents/{aid}", tries=3)
                    chats = r.json().get("chats", []) if r is not None and r.status_code == 200 else []
                    if chats:
                        cid = arng.choice(chats)
                        what = arng.choice(["reply", "reply", "resolve", "resolve", "transfer", "group"])
                        if what == "reply":
                            desk.queue.reply(cid, aid)  # what the service does once Rasa took the message
                        elif what == "resolve":
                            cluster.call("POST", f"/conversations/{cid}/resolve", {"agent": aid}, tries=3)
                        elif what == "transfer":
                            body = {"agent": aid, "to_agent": arng.choice(AGENTS)}
                            cluster.call("POST", f"/conversations/{cid}/transfer", body, tries=3)
                        else:
                            body = {"agent": aid, "to_group": arng.choice(["g0", "g1"])}
                            cluster.call("POST", f"/conversations/{cid}/transfer", body, tries=3)
                        actions[what] += 1
                elif roll < 0.65:
                    r = cluster.call("GET", "/queue", tries=3)
                    waiting = r.json()["waiting"] if r is not None and r.status_code == 200 else []
                    if waiting:
                        cid = arng.choice(waiting)["conversation_id"]
                        cluster.call("POST", f"/conversations/{cid}/claim", {"agent": aid}, tries=3)
                        actions["claim"] += 1
                if time.monotonic() > silent_until:
                    cluster.call("POST", f"/agents/{aid}/heartbeat", tries=3)
            except (HandoffError, redis.RedisError, ValueError):
                pass  # refused (someone else was faster) or Redis restarting: both are normal here
            time.sleep(arng.uniform(0.01, 0.05))

    def auditor() -> None:
        while not stop.is_set():
            try:
                found = desk.audit()
            except redis.RedisError:
                found = []
            problems.extend(found)
            time.sleep(0.2)

    threads = [threading.Thread(target=buyers)] + [threading.Thread(target=agent, args=(a,)) for a in AGENTS]
    threads.append(threading.Thread(target=auditor))
    for t in threads:
        t.start()
    try:
        time.sleep(CHAOS_S * 0.3)
        cluster.services[0].stop(kill=True)  # kill -9 one service mid-run
        time.sleep(CHAOS_S * 0.2)
        cluster.procs["redis"].kill()  # and Redis, restarted on the same port from its append-only file
        cluster.procs["redis"].wait(10)
        time.sleep(1)
        cluster.procs["redis"] = start_redis(cluster.redis_port, tmp_path, tmp_path / "redis.log")
        time.sleep(CHAOS_S * 0.5)
        threads[0].join(120)  # every buyer got an answer
    finally:  # the agents and the auditor stop even if the chaos failed (they would keep pytest from exiting)
        stop.set()
        for t in threads[1:]:
            t.join(30)
    assert len(confirmed) == CONVERSATIONS

    # the surviving services copy every event into SQL (the killed one's lease runs out first)
    deadline = time.monotonic() + 60
    while desk.redis.xlen(keys.EVENTS) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert desk.redis.xlen(keys.EVENTS) == 0
    problems.extend(desk.audit())
    engine = make_engine(f"sqlite:///{tmp_path / 'helpdesk.db'}")
    create_tables(engine)
    sessions = sessionmaker(bind=engine, future=True)
    with sessions() as s:
        problems.extend(record_problems(s))
        kinds = Counter(s.scalars(select(HandoffEvent.kind)))
        latest: Dict[str, Handoff] = {}
        for h in s.scalars(select(Handoff).order_by(Handoff.created_at)):
            latest[h.conversation_id] = h
    live = {cid: desk.queue.get(cid) for cid in confirmed}
    lost = [cid for cid, h in live.items() if h.get("state") not in ("waiting", "assigned", "resolved")]
    unrecorded = [cid for cid in confirmed if cid not in latest or latest[cid].state != live[cid].get("state")]
    print(f"\nstress: {len(confirmed)} conversations, events {dict(kinds)}, agent actions {dict(actions)}")
    print(f"stress: double-assigned/inconsistent {len(problems)}, lost {len(lost)}, unrecorded {len(unrecorded)}")
    assert problems == [] and lost == [] and unrecorded == []
    assert kinds["assigned"] > 100 and kinds["reassigned"] + kinds["requeued"] > 0 and kinds["resolved"] > 20

    # Redis loses everything: the services rebuild the same queue and assignments from SQL
    for aid in AGENTS:  # all signed off first, so that no timer or heartbeat moves anything meanwhile
        assert cluster.call("POST", f"/agents/{aid}/status", {"status": "offline"}).status_code == 200
    time.sleep(0.5)
    while desk.redis.xlen(keys.EVENTS):
        time.sleep(0.2)
    before = (desk.queue.waiting(), {cid: desk.queue.get(cid).get("state") for cid in confirmed})
    desk.redis.flushall()
    deadline = time.monotonic() + 30
    while not desk.redis.exists(keys.EPOCH) and time.monotonic() < deadline:
        time.sleep(0.1)
    after = (desk.queue.waiting(), {cid: (desk.queue.get(cid).get("state") or "resolved") for cid in confirmed})
    before_open = {cid: st for cid, st in before[1].items() if st != "resolved"}
    assert after[0] == before[0] and {c: s for c, s in after[1].items() if s != "resolved"} == before_open
    assert desk.audit() == []
