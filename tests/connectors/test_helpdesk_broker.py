"""The helpdesk's event broker composes with a standard one: a buyer's message during a handoff reaches the
helpdesk, and every event also reaches the machine's RabbitMQ through Rasa's own pika broker."""

from __future__ import annotations

import asyncio
import json
import os
import uuid

import aio_pika
import pytest
import rasa.shared.core.events  # noqa: F401  (Rasa's pika broker uses it unimported; the server has it loaded)
import redis
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from helpdesk.desk import Desk
from shop.config import load_shop_config
from shop.settings import ROOT
from tests.helpdesk.conftest import handoff

RABBITMQ_URL = os.environ.get("KEFU_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672/")


async def _rabbitmq_or_skip() -> aio_pika.abc.AbstractRobustConnection:
    try:
        return await aio_pika.connect_robust(RABBITMQ_URL, timeout=5)
    except Exception:
        if os.environ.get("CI"):
            pytest.fail(f"RabbitMQ is not reachable at {RABBITMQ_URL}")
        pytest.skip(f"RabbitMQ is not reachable at {RABBITMQ_URL}")


async def test_events_reach_the_helpdesk_and_rabbitmq(redis_url):
    rabbit = await _rabbitmq_or_skip()
    queue_name = f"kefu_test_{uuid.uuid4().hex[:8]}"
    config = {
        "type": "connectors.helpdesk_broker.HelpdeskEventBroker",
        "url": redis_url,
        "forward_to": {"type": "pika", "url": "127.0.0.1", "username": "guest", "password": "guest",
                       "queues": [queue_name]},
    }  # fmt: skip
    cfg = load_shop_config(ROOT / "shop.yml")
    desk = Desk.open(redis.Redis.from_url(redis_url, decode_responses=True), cfg)
    desk.agents.register_all(cfg.helpdesk.chat_agents)
    desk.queue.enqueue(handoff("c-1"))
    desk.agents.set_status("ben", "online")  # takes the waiting chat
    broker = await EventBroker.create(EndpointConfig.from_dict(config))
    try:
        events = [
            {"event": "user", "sender_id": "c-1", "text": "anyone there?", "timestamp": 1.0},
            {"event": "bot", "sender_id": "c-1", "text": "hi", "timestamp": 2.0},
            {"event": "user", "sender_id": "c-2", "text": "no handoff here", "timestamp": 3.0},
        ]
        for event in events:
            broker.publish(event)
        live = desk.queue.get("c-1")
        assert live["agent"] == "ben" and live.get("unreplied_since")  # the agent's reply clock runs
        assert desk.queue.get("c-2") == {}  # a chat with no handoff is left alone

        channel = await rabbit.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        received = []
        for _ in range(100):  # Rasa's pika broker publishes from a task of its own
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                if len(received) == len(events):
                    break
                await asyncio.sleep(0.05)
                continue
            received.append(json.loads(message.body))
        assert [e["text"] for e in received] == [e["text"] for e in events]
        await queue.delete(if_unused=False, if_empty=False)
    finally:
        await broker.close()
        await rabbit.close()


async def test_a_forward_broker_that_cannot_be_made_stops_the_start(redis_url):
    config = {"type": "connectors.helpdesk_broker.HelpdeskEventBroker", "url": redis_url,
              "forward_to": {"type": "no.such.Broker"}}  # fmt: skip
    with pytest.raises(ValueError, match="forward_to"):
        await EventBroker.create(EndpointConfig.from_dict(config))
