"""The scale-out topology of `make prod`, run here: 3 Rasa, 3 action and 3 helpdesk processes behind
HAProxy, KEFU_ENV=production, on the machine's PostgreSQL (tracker store, shop, record) and RabbitMQ
(every event, forwarded beside the helpdesk's broker), and a redis-server of the test's own (lock store,
live desk, socket.io) that a test can restart. Then the faults: a Rasa process killed with -9 in the
middle of a stream, Redis and PostgreSQL restarted, the whole stack restarted in the middle of a handoff."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import aio_pika
import pytest
import requests
from playwright.sync_api import expect

from connectors.deliveries import turn_of
from helpdesk.payloads import agent_message_metadata
from scripts import browser as pages
from scripts.stack import ROOT, Stack, free_port
from tests.conftest import postgres_schema
from tests.helpdesk.procs import start_redis
from tests.polling import wait_for
from tests.shop_files import write_shop

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


async def _delete_queue(queue_name: str) -> None:
    connection = await aio_pika.connect_robust(RABBITMQ_URL, timeout=5)
    try:
        channel = await connection.channel()
        await channel.queue_delete(queue_name)
    finally:
        await connection.close()


@dataclass
class Scaled:
    stack: Stack
    redis_port: int
    folder: Path
    redis: Optional[subprocess.Popen] = None

    def start_redis(self) -> None:
        """A redis-server of the test's own (append-only file), so a test may restart it."""
        self.redis = start_redis(self.redis_port, self.folder, self.folder / "redis.log")

    def kill_redis(self) -> None:
        self.redis.kill()
        self.redis.wait(10)


@pytest.fixture(scope="module")
def scaled(tmp_path_factory) -> Iterator[Stack]:
    _reachable_or_skip("RabbitMQ", lambda: asyncio.run(_rabbit_messages("kefu_test_probe")))
    var = tmp_path_factory.mktemp("scaled")

    def roomy(raw: dict) -> None:
        for agent in raw["helpdesk"]["agents"]:
            agent["capacity"] = 50

    with postgres_schema("kefu_scale") as database:
        port = free_port()
        stack = Stack.on_free_ports(
            replicas=3,
            production=True,
            database_url=database,
            tracker_database_url=database,
            redis_url=f"redis://127.0.0.1:{port}/0",
            shop_config=write_shop(var, roomy),
            model=ROOT / "models" / "kefu.tar.gz",
            var_dir=var,
            extra_env={"RABBITMQ_QUEUE": f"kefu_test_{uuid.uuid4().hex[:8]}"},
        )
        scaled = Scaled(stack, port, var)
        scaled.start_redis()
        stack.start(timeout=600)
        try:
            yield scaled
        finally:
            stack.stop()
            scaled.kill_redis()
            asyncio.run(_delete_queue(stack.extra_env["RABBITMQ_QUEUE"]))  # the later tests' events


def test_turns_spread_over_every_process_and_every_event_reaches_rabbitmq(scaled):
    scaled = scaled.stack
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
    counts = {name: int(row["stot"]) for name, row in scaled.proxy_stats().items()}
    for kind in ("rasa", "actions"):
        assert all(counts[f"{kind}{i}"] > 0 for i in (1, 2, 3)), counts

    queue = scaled.extra_env["RABBITMQ_QUEUE"]
    events = asyncio.run(_rabbit_messages(queue))
    texts = {(e["sender_id"], e.get("text")) for e in events if e.get("event") == "user"}
    assert {(f"scale-{n}", "hello") for n in range(24)} <= texts


def test_the_widget_hears_an_agent_whichever_process_holds_its_socket(scaled, browser):
    scaled = scaled.stack
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


RETRIES: Counter = Counter()  # by sender: deliveries that had to be sent again
TURNS = ("hello", "do you have any coupon codes?", "what payment methods do you take?", "thanks")


def converse(stack: Stack, sender: str, texts=TURNS, first: int = 0) -> list:
    """One buyer's turns over REST through the proxy, each retried like a real client until answered
    (a 502 from a process that died, a 409 while another process still has it, a timeout)."""
    url, answers = f"{stack.rasa_url}/webhooks/rest/webhook", []
    for i, text in enumerate(texts):
        body = {"sender": sender, "message": text, "message_id": f"{sender}-m{first + i}"}
        for _ in range(40):
            try:
                r = requests.post(url, json=body, timeout=90)
                if r.status_code == 200:
                    answers.append([m.get("text") for m in r.json()])
                    break
            except requests.RequestException:
                pass
            RETRIES[sender] += 1
            time.sleep(1)
        else:
            raise AssertionError(f"{sender}: {text!r} never answered")
    return answers


def assert_each_turn_once(stack: Stack, sender: str, answers: list, texts=TURNS) -> None:
    """The transcript holds each message once, and each answer the buyer got is the one it holds."""
    url = f"{stack.rasa_url}/conversations/{sender}/tracker?token={stack.rasa_token}"
    events = requests.get(url, timeout=30).json()["events"]
    ids = [e["metadata"].get("message_id") for e in events if e["event"] == "user"]
    assert ids == [f"{sender}-m{i}" for i in range(len(texts))], (sender, ids)
    for i, answer in enumerate(answers):
        assert answer and answer == [e["text"] for e in turn_of(events, f"{sender}-m{i}")], (sender, i)


def test_kill_9_one_of_three_rasa_processes_mid_stream(scaled):
    stack = scaled.stack
    senders = [f"kill-{n}" for n in range(40)]
    texts = (*TURNS, "how long does shipping take", "what's your return policy")  # 240 turns: about 6 s
    with ThreadPoolExecutor(8) as pool:
        futures = {sender: pool.submit(converse, stack, sender, texts) for sender in senders}
        time.sleep(2)  # in the middle of the stream
        stack.kill("rasa-2")
        answers = {sender: future.result() for sender, future in futures.items()}
    assert sum(RETRIES[s] for s in senders) > 0  # the kill did cut turns off in the middle
    for sender in senders:
        assert_each_turn_once(stack, sender, answers[sender], texts)
    stack.restart("rasa-2")
    assert converse(stack, "kill-after", TURNS[:1])[0]  # and it takes turns again


def test_the_stores_reconnect_after_redis_and_postgresql_restart(scaled):
    stack = scaled.stack
    before = converse(stack, "restarts-1", TURNS[:1])
    scaled.kill_redis()
    scaled.start_redis()  # the same data, from its append-only file
    after_redis = converse(stack, "restarts-1", TURNS[1:2], first=1)
    restart = subprocess.run(["pg_ctlcluster", "15", "main", "restart"], capture_output=True, text=True)
    if restart.returncode != 0:
        pytest.skip(f"cannot restart PostgreSQL here: {restart.stderr.strip()}")
    after_postgres = converse(stack, "restarts-1", TURNS[2:3], first=2)
    assert_each_turn_once(stack, "restarts-1", before + after_redis + after_postgres, TURNS[:3])


def test_a_restart_of_the_whole_stack_mid_handoff_keeps_the_chat_paused_and_assigned(scaled):
    stack = scaled.stack
    helpdesk = requests.Session()
    helpdesk.headers["Authorization"] = f"Bearer {stack.helpdesk_token}"
    conversation = f"{stack.helpdesk_url}/conversations/restart-all"
    converse(stack, "restart-all", ["I want to talk to a human"])
    agent = wait_for(lambda: helpdesk.get(conversation, timeout=10).json()["live"].get("agent"))
    r = helpdesk.post(f"{conversation}/reply", json={"agent": agent, "text": "Hi, I'm here."}, timeout=30)
    assert r.status_code == 200, r.text
    url = f"{stack.rasa_url}/conversations/restart-all/tracker?token={stack.rasa_token}"
    before = requests.get(url, timeout=10).json()["events"]

    stack.stop()
    stack.start(timeout=600)

    tracker = requests.get(url, timeout=10).json()
    assert tracker["paused"] is True
    assert [(e["event"], e.get("text")) for e in tracker["events"]] == [(e["event"], e.get("text")) for e in before]
    live = helpdesk.get(conversation, timeout=10).json()["live"]
    assert live["state"] == "assigned" and live["agent"] == agent
    assert converse(stack, "restart-all", ["are you still there?"], first=1) == [[]]  # the agent answers, not the bot
