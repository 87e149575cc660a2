"""Enqueue on a real Redis: ordering, idempotence, and many processes at once."""

from __future__ import annotations

import multiprocessing as mp
import time

import redis

from helpdesk.queue import HandoffQueue


def record(cid: str, priority: int = 0, created_at: float | None = None) -> dict:
    return {
        "conversation_id": cid,
        "channel": "rest",
        "customer": "",
        "language": "en",
        "category": "human",
        "priority": priority,
        "reason": "requested",
        "order_number": None,
        "summary": "hi",
        "created_at": created_at or time.time(),
    }


def test_priority_then_first_come_first_served(redis_client):
    q = HandoffQueue(redis_client)
    q.enqueue(record("late-normal", 0, 200))
    q.enqueue(record("early-normal", 0, 100))
    q.enqueue(record("complaint", 10, 300))
    assert q.waiting() == ["complaint", "early-normal", "late-normal"]
    assert q.get("complaint")["state"] == "waiting" and q.get("complaint")["order_number"] == ""


def test_enqueue_twice_is_a_no_op(redis_client):
    q = HandoffQueue(redis_client)
    assert q.enqueue(record("c1", 0, 100)) is True
    assert q.enqueue(record("c1", 10, 200)) is False
    assert q.waiting() == ["c1"] and q.get("c1")["priority"] == "0"


def _hammer(url: str, n: int, start: mp.Event) -> None:
    q = HandoffQueue(redis.Redis.from_url(url, decode_responses=True))
    start.wait()
    for i in range(n):
        q.enqueue(record(f"conv-{i}", priority=i % 3))


def test_many_processes_enqueue_each_conversation_once(redis_client):
    """4 processes each try to enqueue the same 300 conversations at the same moment."""
    kwargs = redis_client.connection_pool.connection_kwargs
    url = (
        f"unix://{kwargs['path']}" if "path" in kwargs else f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs['db']}"
    )
    start = mp.get_context("fork").Event()
    procs = [mp.get_context("fork").Process(target=_hammer, args=(url, 300, start)) for _ in range(4)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    waiting = HandoffQueue(redis_client).waiting()
    assert len(waiting) == len(set(waiting)) == 300
    assert int(redis_client.get("kefu:seq")) == 300  # exactly one real enqueue per conversation
