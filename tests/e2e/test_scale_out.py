"""The scale-out topology of `make prod`, run here: 3 Rasa, 3 action and 3 helpdesk processes behind
HAProxy, KEFU_ENV=production, on the machine's PostgreSQL (tracker store, shop, record), Redis (lock
store, live desk, socket.io) and RabbitMQ (every event, forwarded beside the helpdesk's broker)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import aio_pika
import pytest
import redis
import requests
from playwright.sync_api import expect

from helpdesk.payloads import agent_message_metadata
from scripts import browser as pages
from scripts.stack import ROOT, Stack
from tests.conftest import postgres_schema
from tests.polling import wait_for
from tests.shop_files import write_shop

REDIS_URL = os.environ.get("KEFU_TEST_REDIS_SCALE", "redis://127.0.0.1:6379/14")
RABBITMQ_URL = os.environ.get("KEFU_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672/")


def _reachable_or_skip(what: str, check) -> None:
    try:
        check()
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is not reachable: {exc}")
        pytest.skip(f"{what} is not reachable: {exc}")


async def _rabbit_messages(queue_name: str) -> list:
    connection = await aio_pika.connect_robust(RABBITMQ_URL, timeout=5)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        found = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            found.append(json.loads(message.body))
        await queue.delete(if_unused=False, if_empty=False)
        return found
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def scaled(tmp_path_factory) -> Iterator[Stack]:
    _reachable_or_skip("Redis", lambda: redis.Redis.from_url(REDIS_URL).flushdb())
    _reachable_or_skip("RabbitMQ", lambda: asyncio.run(_rabbit_messages("kefu_test_probe")))
    var = tmp_path_factory.mktemp("scaled")

    def roomy(raw: dict) -> None:
        for agent in raw["helpdesk"]["agents"]:
            agent["capacity"] = 50

    with postgres_schema("kefu_scale") as database:
        stack = Stack.on_free_ports(
            replicas=3,
            production=True,
            database_url=database,
            tracker_database_url=database,
            redis_url=REDIS_URL,
            shop_config=write_shop(var, roomy),
            model=ROOT / "models" / "kefu.tar.gz",
            var_dir=var,
            extra_env={"RABBITMQ_QUEUE": f"kefu_test_{uuid.uuid4().hex[:8]}"},
        )
        stack.start(timeout=600)
        try:
            yield stack
        finally:
            stack.stop()
            redis.Redis.from_url(REDIS_URL).flushdb()


def proxy_counts(stack: Stack) -> dict:
    """Requests each process got, from HAProxy's statistics: {"rasa1": 12, ...}."""
    text = requests.get(f"http://127.0.0.1:{stack.proxy_stats_port}/stats;csv", timeout=5).text.lstrip("# ")
    return {row["svname"]: int(row["stot"]) for row in csv.DictReader(io.StringIO(text))
            if row["svname"] not in ("FRONTEND", "BACKEND")}  # fmt: skip


def test_turns_spread_over_every_process_and_every_event_reaches_rabbitmq(scaled):
    url = f"{scaled.rasa_url}/webhooks/rest/webhook"

    def conversation(n: int) -> list:
        sender = f"scale-{n}"
        turns = []
        for text in ("hello", "do you have any coupon codes?"):
            r = requests.post(url, json={"sender": sender, "message": text}, timeout=60)
            assert r.status_code == 200, r.text
            turns.append(" ".join(m.get("text", "") for m in r.json()))
        return turns

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(conversation, range(24)))
    assert all("Hi" in greet and "SAVE10" in coupons for greet, coupons in results)
    counts = proxy_counts(scaled)
    for kind in ("rasa", "actions"):
        assert all(counts[f"{kind}{i}"] > 0 for i in (1, 2, 3)), counts

    queue = scaled.extra_env["RABBITMQ_QUEUE"]
    events = asyncio.run(_rabbit_messages(queue))
    texts = {(e["sender_id"], e.get("text")) for e in events if e.get("event") == "user"}
    assert {(f"scale-{n}", "hello") for n in range(24)} <= texts


def test_the_widget_hears_an_agent_whichever_process_holds_its_socket(scaled, browser):
    # the widget's page and socket come from rasa-1 ...
    page = browser.new_context().new_page()
    page.goto(f"{scaled.url_of('rasa-1')}/webhooks/webchat/")
    page.click("#kefu-toggle")
    page.wait_for_selector("#kefu-status:has-text('online')")
    page.fill("#kefu-input", "hello")
    page.keyboard.press("Enter")
    expect(page.locator("#kefu-messages li.bot").last).to_contain_text("Hi")
    session = wait_for(lambda: pages.session_of(page))
    # ... and the agent's message is posted to rasa-2: socket.io's Redis manager carries it over
    query = "include_events=NONE&output_channel=latest&execute_side_effects=true"
    body = {"event": "bot", "text": "Amy here, how can I help?", "metadata": agent_message_metadata("amy", "Amy")}
    r = requests.post(f"{scaled.url_of('rasa-2')}/conversations/{session}/tracker/events?{query}",
                      params={"token": scaled.rasa_token}, json=body, timeout=30)  # fmt: skip
    assert r.status_code == 200, r.text
    expect(page.locator("#kefu-messages li.agent").last).to_contain_text("Amy here, how can I help?")
