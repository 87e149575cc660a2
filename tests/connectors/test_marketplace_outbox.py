"""The marketplace outbox and its sender against a real redis-server and the fake marketplace over HTTP:
retries with backoff, the idempotency key, delivery failures surfaced, and several sender processes at once."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import pytest
import redis
import requests

from connectors.marketplace.outbox import Outbox, RetryPolicy, Sender
from connectors.marketplace.wire import WIRE
from helpdesk import keys
from scripts.stack import ROOT, free_port, wait_http
from tests.polling import wait_for

TOKEN = "token-1"


@pytest.fixture
def market(tmp_path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MARKETPLACE_APP_SECRET": "s", "MARKETPLACE_ACCESS_TOKEN": TOKEN}
    args = [sys.executable, "-m", "fake_marketplace.service", "--port", str(port), "--shop-id", "shop-1",
            "--webhook-url", "http://127.0.0.1:9/unused"]  # fmt: skip
    log = open(tmp_path / "market.log", "w")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/health", 30, proc)
    yield url
    proc.terminate()
    proc.wait()


def control(market: str, **settings) -> None:
    requests.post(f"{market}/_control", json=settings, timeout=5).raise_for_status()


def thread(market: str, conversation: str) -> list:
    return requests.get(f"{market}/_conversations/{conversation}", timeout=5).json()["messages"]


def stats(market: str) -> dict:
    return requests.get(f"{market}/_stats", timeout=5).json()


async def drain(outbox: Outbox, market: str, policy: RetryPolicy, token: str = TOKEN, timeout: float = 30) -> None:
    sender = Sender(outbox, WIRE, market, "shop-1", token, policy, poll_s=0.02)
    task = asyncio.create_task(sender.run())
    try:
        for _ in range(int(timeout / 0.05)):
            if outbox.pending() == 0 and not sender.inflight:
                return
            await asyncio.sleep(0.05)
        raise TimeoutError("the outbox did not drain")
    finally:
        task.cancel()


def run(coro) -> None:
    """asyncio.run on a thread of its own: a session's Playwright may hold this thread's event loop."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


FAST = RetryPolicy(attempts=3, first_delay_s=0.05, max_delay_s=0.2, timeout_s=0.5, lease_s=2)


def outbox_at(url: str) -> Outbox:
    return Outbox(redis.Redis.from_url(url, decode_responses=True), "marketplace")


def test_messages_go_out_in_order_with_the_senders_name(redis_url, market):
    box = outbox_at(redis_url)
    for i in range(5):
        box.push("c-1", "marketplace:c-1", {"text": f"message {i}", "sender": {"type": "bot"}})
    box.push("c-1", "marketplace:c-1", {"text": "from Amy", "sender": {"type": "agent", "id": "amy", "name": "Amy"}})
    run(drain(box, market, FAST))
    got = thread(market, "c-1")
    assert [m["text"] for m in got] == [f"message {i}" for i in range(5)] + ["from Amy"]
    assert got[-1]["sender"]["name"] == "Amy" and len({m["idempotency_key"] for m in got}) == 6


def test_5xx_is_retried_and_a_lost_answer_is_not_a_second_message(redis_url, market):
    box = outbox_at(redis_url)
    control(market, fail_status=503, fail_times=2)
    box.push("c-2", "marketplace:c-2", {"text": "after two refusals"})
    run(drain(box, market, FAST))
    control(market, accept_then_fail=True)
    box.push("c-2", "marketplace:c-2", {"text": "taken, answer lost"})
    run(drain(box, market, FAST))
    assert [m["text"] for m in thread(market, "c-2")] == ["after two refusals", "taken, answer lost"]
    assert stats(market)["replies_refused"] == 2 and stats(market)["duplicate_replies"] == 1


def test_a_slow_marketplace_times_out_and_the_retry_is_deduplicated(redis_url, market):
    box = outbox_at(redis_url)
    control(market, delay_s=0.8)  # longer than the 0.5 s timeout: recorded there, but we hear nothing
    box.push("c-3", "marketplace:c-3", {"text": "slow"})

    async def slow() -> None:
        sender = Sender(box, WIRE, market, "shop-1", TOKEN, FAST, poll_s=0.02)
        task = asyncio.create_task(sender.run())
        await asyncio.sleep(0.7)  # the first try has timed out and is waiting for its retry
        control(market)
        try:
            for _ in range(200):
                if box.pending() == 0 and not sender.inflight:
                    return
                await asyncio.sleep(0.05)
        finally:
            task.cancel()

    run(slow())
    assert [m["text"] for m in thread(market, "c-3")] == ["slow"]


@pytest.mark.parametrize("status,tries", [(503, 3), (404, 1)])
def test_a_final_failure_is_kept_and_published(redis_url, market, status, tries):
    box = outbox_at(redis_url)
    live = box.redis.pubsub()
    live.subscribe(keys.LIVE)
    control(market, fail_status=status)
    box.push("c-4", "marketplace:c-4", {"text": "never arrives", "sender": {"type": "agent", "id": "ben"}})
    box.push("c-4", "marketplace:c-4", {"text": "the next one is still tried"})
    run(drain(box, market, FAST))
    failures = [json.loads(f) for f in box.redis.lrange(keys.delivery_failed("marketplace:c-4"), 0, -1)]
    assert [f["text"] for f in failures] == ["the next one is still tried", "never arrives"]
    assert failures[1]["agent"] == "ben" and f"HTTP {status}" in failures[1]["reason"]
    assert failures[1]["attempts"] == tries and ("gave up" in failures[1]["reason"]) == (tries > 1)
    assert stats(market)["replies_refused"] == 2 * tries
    published = []
    wait_for(lambda: published.extend(filter(None, [live.get_message(timeout=0.1)])) or len(published) >= 3)
    events = [json.loads(m["data"]) for m in published if m["type"] == "message"]
    assert {"kind": "delivery_failed", "conversation_id": "marketplace:c-4", "agent": "ben"} in events


def test_a_wrong_access_token_is_a_failure_not_a_retry_loop(redis_url, market):
    box = outbox_at(redis_url)
    box.push("c-5", "marketplace:c-5", {"text": "hi"})
    run(drain(box, market, FAST, token="wrong"))
    [failure] = [json.loads(f) for f in box.redis.lrange(keys.delivery_failed("marketplace:c-5"), 0, -1)]
    assert "HTTP 401" in failure["reason"] and failure["attempts"] == 1


def test_three_sender_processes_one_killed_deliver_everything_once_in_order(redis_url, market, tmp_path):
    box = outbox_at(redis_url)
    conversations = [f"c-{i}" for i in range(40)]
    for n in range(15):
        for c in conversations:
            box.push(c, f"marketplace:{c}", {"text": f"{c} #{n}"})
    control(market, fail_status=503, fail_times=60)  # the first 60 calls are refused

    def sender() -> subprocess.Popen:
        args = [sys.executable, "-m", "tests.connectors.sender_proc", redis_url, market, TOKEN]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=open(tmp_path / "sender.log", "a"),
                                stderr=subprocess.STDOUT)  # fmt: skip

    procs = [sender() for _ in range(3)]
    try:
        wait_for(lambda: stats(market).get("replies", 0) >= 100, timeout=60)
        procs[0].kill()  # mid-run: its leased conversations are taken over after a second
        wait_for(lambda: box.pending() == 0, timeout=120)
    finally:
        for p in procs:
            p.kill()
            p.wait()
    for c in conversations:
        assert [m["text"] for m in thread(market, c)] == [f"{c} #{n}" for n in range(15)], c
    assert stats(market)["replies"] == 600
