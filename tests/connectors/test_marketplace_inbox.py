"""The webhook's memory in Redis, raced by several processes: each event is handled by exactly one,
and a conversation's marks only ever move forward (and the consoles hear when one does)."""

from __future__ import annotations

import json
import multiprocessing
import random
import time
from typing import List

import redis

from connectors.marketplace.inbox import Inbox
from connectors.marks import Marks
from helpdesk import keys


def inbox(url: str) -> Inbox:
    return Inbox(redis.Redis.from_url(url, decode_responses=True), "marketplace", dedup_window_s=60)


def race(url: str, seed: int, start, out) -> None:
    """One process: begin every event (in its own order), finish the ones it owns; raise marks at random."""
    box, rng = inbox(url), random.Random(seed)
    start.wait(60)  # all together, not each as soon as its interpreter is up
    ids = [f"evt-{i}" for i in range(300)]
    rng.shuffle(ids)
    owned: List[str] = []
    for event_id in ids:
        if box.begin(event_id) == "new":
            owned.append(event_id)
            box.done(event_id)
        box.raise_mark("c-1", "read_up_to", rng.randint(0, 10_000), "buyer-1")
    out.put(owned)


def test_each_event_is_owned_by_one_process_and_marks_only_rise(redis_url):
    ctx = multiprocessing.get_context("spawn")
    out, start = ctx.Queue(), ctx.Barrier(4)
    procs = [ctx.Process(target=race, args=(redis_url, seed, start, out)) for seed in range(4)]
    for p in procs:
        p.start()
    try:
        owned = [out.get(timeout=60) for _ in procs]
    finally:  # done, or stuck: none is left running
        for p in procs:
            p.kill()
            p.join()
    everything = [e for part in owned for e in part]
    assert sorted(everything) == sorted(f"evt-{i}" for i in range(300))  # each exactly once
    assert all(part for part in owned)  # they really raced
    box = inbox(redis_url)
    assert box.begin("evt-7") == "duplicate"
    top = int(box.conversation("c-1")["read_up_to"])
    assert top > 9_000  # the highest of 1,200 random marks
    assert box.raise_mark("c-1", "read_up_to", 5, "buyer-1") == top
    assert box.conversation("c-1")["read_up_to"] == str(top)


def test_a_failed_event_can_be_taken_again_but_not_while_in_hand(redis_url):
    box = inbox(redis_url)
    assert box.begin("evt-x") == "new"
    assert box.begin("evt-x") == "busy"  # a second delivery while the first is being handled
    box.abandon("evt-x")  # the first failed
    assert box.begin("evt-x") == "new"
    box.done("evt-x")
    box.abandon("evt-x")  # too late: done stays done
    assert box.begin("evt-x") == "duplicate"
    assert 0 < box.redis.ttl(keys.channel_event("marketplace", "evt-x")) <= 60


def test_a_mark_that_moves_is_announced_to_the_consoles_and_one_that_does_not_is_not(redis_url):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    consoles = client.pubsub(ignore_subscribe_messages=True)
    consoles.subscribe(keys.LIVE)
    marks = Marks(client)
    assert marks.raise_mark("0123abcd" * 4, "read_up_to", 2_000) == 0  # a web chat's id: no channel in it
    assert marks.raise_mark("0123abcd" * 4, "read_up_to", 1_000) == 2_000  # late: not announced
    heard, until = [], time.monotonic() + 1
    while time.monotonic() < until:  # (get_message answers None for the subscription's own confirmation)
        message = consoles.get_message(timeout=0.1)
        if message:
            heard.append(json.loads(message["data"]))
    assert heard == [{"kind": "channel_mark", "conversation_id": "0123abcd" * 4, "agent": ""}]
    assert marks.of("0123abcd" * 4) == {"read_up_to": "2000"}  # no buyer id given: none kept
    assert keys.channel_conversation("marketplace:c-1") != keys.channel_conversation("c-1")
