"""The channels' metrics on a sanic app that mounts our channels as the Rasa server does (rasa's own
channel.register), served over HTTP in this process, on a real redis-server. A stand-in for Rasa's agent answers
each message through the channel's output (the trained bot is tests/e2e's: test_marketplace.py scrapes it too).

The channels' counters live in this process's registry, which other tests add to as well: each check compares a
scrape before and after."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from rasa.core.channels.channel import InputChannel, UserMessage, register
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from sanic import Sanic
from sanic_testing.reusable import ReusableClient
from sanic_testing.testing import TestingResponse as Response  # not Test*: pytest would collect it

from connectors.marketplace.channel import MarketplaceInput
from connectors.marketplace.outbox import RetryPolicy
from connectors.marketplace.wire import WIRE
from connectors.marks import Marks
from connectors.metrics import MetricsInput
from connectors.rest import KefuRestInput
from connectors.webchat import WebChatInput
from helpdesk.metrics import CONTENT_TYPE
from scripts.stack import free_port
from shop.settings import Settings
from tests.polling import wait_for

TOKEN = "rasa-token"
SECRET = "app-secret"
SHOP = "shop-1"
Samples = Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]


class EchoBot:
    """Stands in for Rasa's agent (app.ctx.agent): answers every message once, through the channel's output."""

    def __init__(self) -> None:
        self.tracker_store = InMemoryTrackerStore(Domain.empty())
        self.heard: List[str] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.heard.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


class Server:
    """The channels mounted under /webhooks/ as `rasa run` mounts them, on a free port of this process."""

    def __init__(self, channels: List[InputChannel]) -> None:
        self.channels = {c.name(): c for c in channels}
        self.app = Sanic(f"channels-{uuid.uuid4().hex[:12]}")
        self.app.ctx.agent = EchoBot()
        register(channels, self.app, route="/webhooks/")
        self.loop = asyncio.new_event_loop()
        self.client = ReusableClient(self.app, port=free_port(), loop=self.loop)
        self.client.run()

    def request(self, method: str, path: str, **kwargs: Any) -> Response:
        _, response = getattr(self.client, method)(path, gather_request=False, **kwargs)
        return response

    def scrape(self, token: str = TOKEN) -> Samples:
        r = self.request("get", "/webhooks/metrics/", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == CONTENT_TYPE
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text)
            for s in family.samples
        }

    def close(self) -> None:
        self.client.stop()
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def refusals(found: Samples, channel: str) -> Dict[str, float]:
    return {
        dict(labels)["reason"]: v
        for (name, labels), v in found.items()
        if name == "kefu_channel_refusals_total" and dict(labels)["channel"] == channel
    }


def grew(before: Samples, after: Samples, channel: str) -> Dict[str, float]:
    old = refusals(before, channel)
    return {reason: n - old.get(reason, 0) for reason, n in refusals(after, channel).items() if n != old.get(reason)}


@pytest.fixture
def server(redis_url) -> Iterator[Server]:
    """REST, web chat, the marketplace (its API is a port nobody listens on: every reply fails at once) and the
    metrics channel, on the test's redis-server."""
    settings = Settings.from_env({"REDIS_URL": redis_url, "RASA_TOKEN": TOKEN})
    market = MarketplaceInput(SHOP, f"http://127.0.0.1:{free_port()}", SECRET, "access", settings=settings,
                              policy=RetryPolicy(attempts=1, timeout_s=2))  # fmt: skip
    s = Server([KefuRestInput(), WebChatInput([], settings), market, MetricsInput(settings)])
    yield s
    s.close()


def signed(event: Dict[str, Any], at: float | None = None, secret: str = SECRET) -> Dict[str, Any]:
    body = WIRE.event_body(event)
    return {"content": body, "headers": WIRE.signed_headers(secret.encode(), body, time.time() if at is None else at)}


def message_event(text: str, **extra: Any) -> Dict[str, Any]:
    return {"event_id": f"evt-{uuid.uuid4().hex}", "type": "message", "shop_id": SHOP, "conversation_id": "c-1",
            "buyer_id": "b-1", "created_at": int(time.time() * 1000),
            "message": {"id": f"m-{uuid.uuid4().hex[:12]}", "text": text}, **extra}  # fmt: skip


def test_marketplace_refusals_by_reason_and_a_turn_timed(server):
    before = server.scrape()
    webhook = "/webhooks/marketplace/webhook"
    good = signed(message_event("where is my order"))
    calls = [
        ({"content": good["content"], "headers": {**good["headers"], WIRE.signature_header: "0" * 64}}, 401),  # forged
        (signed(message_event("hi"), secret="not the shop's"), 401),  # signed with another key
        (signed(message_event("hi"), at=time.time() - 3600), 401),  # an hour old
        ({"content": good["content"], "headers": {"Content-Type": "application/json"}}, 401),  # unsigned
        (signed({"type": "message"}), 400),
        (signed(message_event("hi", shop_id="another-shop")), 403),
        ({"content": b"x" * 70_000, "headers": good["headers"]}, 413),
        (good, 200),
        (good, 200),  # the same event again: a replay
    ]
    for kwargs, status in calls:
        assert server.request("post", webhook, **kwargs).status_code == status
    after = server.scrape()

    assert grew(before, after, "marketplace") == {
        "bad_signature": 2, "stale_timestamp": 1, "unsigned": 1, "bad_event": 1, "other_shop": 1, "too_large": 1,
        "duplicate": 1,
    }  # fmt: skip
    assert server.app.ctx.agent.heard == ["where is my order"]  # answered once
    turns = "kefu_channel_turn_seconds_count"
    assert value(after, turns, channel="marketplace") - value(before, turns, channel="marketplace") == 1
    assert value(after, "kefu_channel_turn_seconds_sum", channel="marketplace") > value(
        before, "kefu_channel_turn_seconds_sum", channel="marketplace"
    )

    # the echo went to the outbox; the marketplace's API is down and the policy allows one try: it fails
    wait_for(lambda: value(server.scrape(), "kefu_outbox_failed_total", outbox="marketplace") == 1)
    assert value(server.scrape(), "kefu_outbox_pending_messages", outbox="marketplace") == 0


def test_rest_and_webchat_refusals_and_a_rest_turn(server):
    before = server.scrape()
    post = "/webhooks/rest/webhook"
    bodies = [
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400),
        ({"json": [1, 2]}, 400),
        ({"json": {"sender": "a:b", "message": "hi"}}, 400),
        ({"json": {"sender": "me", "message": "   "}}, 400),
        ({"json": {"sender": "me", "message": "x" * 10_001}}, 400),
        ({"json": {"sender": "me", "message": "hi", "message_id": "bad id!"}}, 400),
        ({"json": {"sender": "me", "message": "hello"}}, 200),
    ]
    for kwargs, status in bodies:
        assert server.request("post", post, **kwargs).status_code == status
    r = server.request("post", post, json={"sender": "me", "message": "again"})
    assert r.json == [{"recipient_id": "me", "text": "echo: again"}]
    assert server.request("get", "/webhooks/webchat/history", params={"session_id": "../etc"}).status_code == 400
    # the widget's messages come over socket.io: its handler, as socket.io calls it
    uttered = server.channels["webchat"].sio.handlers["/"]["user_uttered"]
    session = uuid.uuid4().hex
    for data in ["hi", {"message": "hi"}, {"session_id": session, "message": "hi", "message_id": "bad id!"},
                 {"session_id": session, "message": " ", "message_id": "m-1"},
                 {"session_id": session, "message": "hi", "message_id": "m-2", "customData": [1]}]:  # fmt: skip
        assert asyncio.run(uttered("sid-1", data))["ok"] is False
    after = server.scrape()

    assert grew(before, after, "rest") == {
        "bad_json": 1, "not_object": 1, "bad_sender": 1, "empty": 1, "too_long": 1, "bad_message_id": 1,
    }  # fmt: skip
    assert grew(before, after, "webchat") == {
        "bad_session": 2, "not_object": 1, "bad_message_id": 1, "bad_text": 1, "bad_custom_data": 1,
    }  # fmt: skip
    turns = "kefu_channel_turn_seconds_count"
    assert value(after, turns, channel="rest") - value(before, turns, channel="rest") == 2
    # a turn's seconds fall in the histogram's buckets: the +Inf bucket holds them all
    assert value(after, "kefu_channel_turn_seconds_bucket", channel="rest", le="+Inf") == value(
        after, turns, channel="rest"
    )


def test_typing_needs_the_servers_token_and_seen_marks_only_rise(server, redis_url):
    session = uuid.uuid4().hex
    typing = "/webhooks/webchat/typing"
    body = {"session_id": session, "agent_name": "Ben"}
    assert server.request("post", typing, json=body).status_code == 403
    assert server.request("post", typing, params={"token": "wrong"}, json=body).status_code == 403
    assert server.request("post", typing, params={"token": TOKEN}, json={"session_id": "x"}).status_code == 400
    assert server.request("post", typing, params={"token": TOKEN}, json=body).json == {"ok": True}

    seen = server.channels["webchat"].sio.handlers["/"]["seen"]
    now_ms = int(time.time() * 1000)
    for data in ["x", {"session_id": session}, {"session_id": session, "read_up_to": True},
                 {"session_id": session, "read_up_to": -5}]:  # fmt: skip
        assert asyncio.run(seen("sid-1", data))["ok"] is False
    assert asyncio.run(seen("sid-1", {"session_id": session, "read_up_to": now_ms - 5000}))["ok"] is True
    assert asyncio.run(seen("sid-1", {"session_id": session, "read_up_to": now_ms - 9000}))["ok"] is True  # late
    assert asyncio.run(seen("sid-1", {"session_id": session, "read_up_to": now_ms + 10**9}))["ok"] is True
    marks = Marks(redis.Redis.from_url(redis_url, decode_responses=True)).of(session)
    assert now_ms <= int(marks["read_up_to"]) <= int(time.time() * 1000)  # never past the server's now


def test_the_metrics_need_the_servers_token(server, redis_url):
    r = server.request("get", "/webhooks/metrics/")
    assert r.status_code == 401 and "Traceback" not in r.text
    r = server.request("get", "/webhooks/metrics/", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    bare = Server([MetricsInput(Settings.from_env({"REDIS_URL": redis_url}))])  # no RASA_TOKEN: never open
    try:
        r = bare.request("get", "/webhooks/metrics/", headers={"Authorization": "Bearer anything"})
        assert r.status_code == 403 and "RASA_TOKEN" in r.json["error"]
    finally:
        bare.close()
