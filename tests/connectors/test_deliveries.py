"""Deliveries: one process takes a message, a process that died gives it up when its lease runs out, and
the transcript tells a message that was answered from one that never was."""

from __future__ import annotations

import asyncio
import time

import redis

from connectors.deliveries import Deliveries, take, turn_of


def deliveries(url: str, lease_s: int = 1) -> Deliveries:
    return Deliveries(redis.Redis.from_url(url, decode_responses=True), "rest", window_s=60, lease_s=lease_s)


def test_new_then_busy_then_duplicate(redis_url):
    d = deliveries(redis_url, lease_s=30)
    assert d.begin("s:m1") == "new"
    assert d.begin("s:m1") == "busy"
    d.done("s:m1")
    assert d.begin("s:m1") == "duplicate"
    assert d.begin("s:m2") == "new"
    d.abandon("s:m2")  # failed: the next delivery takes it again
    assert d.begin("s:m2") == "new"


async def test_a_delivery_whose_process_died_is_taken_over_after_the_lease(redis_url):
    d = deliveries(redis_url, lease_s=1)
    assert d.begin("s:m1") == "new"  # ... and the process dies: no done(), no abandon()
    started = time.monotonic()
    assert await take(d, "s:m1", poll_s=0.05) == "retake"  # look in the transcript first
    assert 0.8 < time.monotonic() - started < 3


async def test_a_delivery_being_answered_is_waited_for(redis_url):
    d = deliveries(redis_url, lease_s=5)
    assert d.begin("s:m1") == "new"
    asyncio.get_running_loop().call_later(0.3, d.done, "s:m1")
    assert await take(d, "s:m1", poll_s=0.05) == "duplicate"


def test_turn_of_finds_the_answers_to_one_message():
    events = [
        {"event": "user", "text": "hi", "metadata": {"message_id": "m1"}},
        {"event": "action", "name": "utter_greet"},
        {"event": "bot", "text": "Hello!"},
        {"event": "bot", "text": "How can I help?"},
        {"event": "user", "text": "coupons?", "metadata": {"message_id": "m2"}},
        {"event": "bot", "text": "SAVE10"},
    ]
    assert [e["text"] for e in turn_of(events, "m1")] == ["Hello!", "How can I help?"]
    assert [e["text"] for e in turn_of(events, "m2")] == ["SAVE10"]
    assert turn_of(events, "m3") is None
    assert turn_of([{"event": "user", "metadata": {"message_id": "m4"}}], "m4") == []  # taken, no answer yet
