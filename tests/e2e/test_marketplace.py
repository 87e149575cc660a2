"""The marketplace channel through the running stack: the fake marketplace signs buyers' events and posts them
to Rasa's webhook; the bot's and the agents' replies go back through the marketplace's API."""

from __future__ import annotations

import json
import random
import time
import uuid
from typing import Any, Dict, List

import pytest
import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from connectors.marketplace.wire import WIRE
from helpdesk import keys
from tests.polling import wait_for


class Market:
    """The fake marketplace of the stack, and the shop's webhook it calls."""

    def __init__(self, stack) -> None:
        self.stack = stack
        self.url = stack.marketplace_url
        self.webhook = f"{stack.rasa_url}/webhooks/marketplace/webhook"

    def new_buyer(self) -> str:
        return f"b{uuid.uuid4().hex[:10]}"

    def send(self, *events: Dict[str, Any], concurrency: int = 1) -> List[Dict[str, Any]]:
        r = requests.post(f"{self.url}/_send", json={"events": list(events), "concurrency": concurrency}, timeout=600)
        assert r.status_code == 200, r.text
        return r.json()["results"]

    def say(self, buyer: str, text: str) -> List[Dict[str, Any]]:
        """The buyer writes; the shop's replies to it, once they have all gone out."""
        before = len(self.replies(buyer))
        [result] = self.send({"buyer_id": buyer, "text": text})
        assert result["delivered"], result
        self.drained()
        return self.replies(buyer)[before:]

    def thread(self, buyer: str) -> List[Dict[str, Any]]:
        return requests.get(f"{self.url}/_conversations/c-{buyer}", timeout=10).json()["messages"]

    def replies(self, buyer: str) -> List[Dict[str, Any]]:
        return [m for m in self.thread(buyer) if m["from"] == "shop"]

    def control(self, **settings: Any) -> None:
        requests.post(f"{self.url}/_control", json=settings, timeout=10).raise_for_status()

    def stats(self) -> Dict[str, int]:
        return requests.get(f"{self.url}/_stats", timeout=10).json()

    def drained(self, timeout: float = 60) -> None:
        """Wait until the connector's outbox is empty."""
        health = f"{self.stack.rasa_url}/webhooks/marketplace/"
        wait_for(lambda: requests.get(health, timeout=10).json()["sending"] == 0, timeout=timeout)

    def tracker(self, buyer: str) -> Dict[str, Any]:
        url = f"{self.stack.rasa_url}/conversations/marketplace:c-{buyer}/tracker"
        return requests.get(url, params={"token": self.stack.rasa_token}, timeout=30).json()

    def post_raw(self, body: bytes, headers: Dict[str, str]) -> requests.Response:
        return requests.post(self.webhook, data=body, headers=headers, timeout=30)

    def signed(self, event: Dict[str, Any], at: float | None = None, secret: str | None = None) -> tuple:
        body = WIRE.event_body(event)
        key = (secret or self.stack.marketplace_secret).encode()
        return body, WIRE.signed_headers(key, body, time.time() if at is None else at)


def message_event(buyer: str, text: str, **extra: Any) -> Dict[str, Any]:
    return {"event_id": f"evt-{uuid.uuid4().hex}", "type": "message", "shop_id": "kefu-demo-shop",
            "conversation_id": f"c-{buyer}", "buyer_id": buyer, "created_at": int(time.time() * 1000),
            "message": {"id": f"m-{uuid.uuid4().hex[:12]}", "text": text}, **extra}  # fmt: skip


@pytest.fixture
def market(stack):
    m = Market(stack)
    m.control()  # behave
    yield m
    m.control()


def user_texts(tracker: Dict[str, Any]) -> List[str]:
    return [e["text"] for e in tracker["events"] if e["event"] == "user"]


def test_a_known_buyer_is_answered_with_their_own_orders(market):
    # mkt-buyer-1001 is Lily Chen's marketplace id: the marketplace vouches for her, so no email is asked
    replies = market.say("mkt-buyer-1001", "where is my order A10002?")
    texts = " ".join(r["text"] for r in replies)
    assert "A10002" in texts and "SP000000002" in texts, texts  # its tracking number: only for its owner
    assert all(r["sender"] == {"type": "bot"} and r["reply_to"] for r in replies)
    # a stranger asking about the same order is asked to prove it
    stranger = " ".join(r["text"] for r in market.say(market.new_buyer(), "where is my order A10002?"))
    assert "SP000000002" not in stranger and ("email" in stranger.lower() or "phone" in stranger.lower()), stranger


def test_chinese_buyer_is_answered_in_chinese(market):
    replies = market.say(market.new_buyer(), "你们支持哪些付款方式?")
    assert replies and all(any("\u4e00" <= ch <= "\u9fff" for ch in r["text"]) for r in replies), replies


def test_forged_stale_and_unsigned_calls_are_refused(market):
    buyer = market.new_buyer()
    event = message_event(buyer, "hello")
    body, headers = market.signed(event)
    cases = {
        "unsigned": market.post_raw(body, {"Content-Type": "application/json"}),
        "wrong secret": market.post_raw(*market.signed(event, secret="not-the-secret")),
        "stale": market.post_raw(*market.signed(event, at=time.time() - 301)),
        "from the future": market.post_raw(*market.signed(event, at=time.time() + 301)),
        "body changed after signing": market.post_raw(body.replace(b"hello", b"HELLO"), headers),
        "timestamp changed": market.post_raw(body, {**headers, "X-Mkt-Timestamp": str(int(time.time()) + 1)}),
    }
    for name, r in cases.items():
        assert r.status_code == 401, (name, r.status_code, r.text)
        assert set(r.json()) == {"error"} and "Traceback" not in r.text
    assert user_texts(market.tracker(buyer)) == []  # nothing got in
    # the same event properly signed is taken
    assert market.post_raw(body, headers).status_code == 200


def test_bad_bodies_get_a_reason(market):
    buyer = market.new_buyer()
    good = message_event(buyer, "hi")
    cases = [
        (b"{not json", 400, "JSON"),
        (b"[1, 2]", 400, "object"),
        (json.dumps({**good, "buyer_id": "<script>"}).encode(), 400, "buyer_id"),
        (json.dumps({**good, "created_at": "yesterday"}).encode(), 400, "created_at"),
        (json.dumps({**good, "message": {"id": "m1", "text": "   "}}).encode(), 400, "message.text"),
        (json.dumps({**good, "message": {"id": "m1", "text": "\x01\x02 "}}).encode(), 400, "visible"),
        (json.dumps({**good, "message": {"id": "m1", "text": "x" * 10_001}}).encode(), 400, "longer"),
        (json.dumps({**good, "shop_id": "another-shop"}).encode(), 403, "another shop"),
        (json.dumps({**good, "padding": "x" * 70_000}).encode(), 413, "bytes"),
    ]
    for body, status, reason in cases:
        r = market.post_raw(body, WIRE.signed_headers(market.stack.marketplace_secret.encode(), body, time.time()))
        assert r.status_code == status and reason in r.json()["error"], (body[:60], r.status_code, r.text)
        assert "Traceback" not in r.text
    unknown = json.dumps({**good, "type": "buyer_typing"}).encode()
    r = market.post_raw(*market.signed(json.loads(unknown)))
    assert r.status_code == 200 and r.json() == {"status": "ignored"}
    # SQL and markup are just text to the bot
    replies = market.say(buyer, "'; DROP TABLE orders; -- <img src=x onerror=alert(1)>")
    assert replies and "Traceback" not in json.dumps(replies)
    assert user_texts(market.tracker(buyer))[-1] == "'; DROP TABLE orders; -- <img src=x onerror=alert(1)>"


def test_replays_and_duplicate_deliveries_are_handled_once(market):
    buyer = market.new_buyer()
    event = message_event(buyer, "what payment methods do you accept?")
    body, headers = market.signed(event)
    first = market.post_raw(body, headers)
    assert first.status_code == 200 and first.json() == {"status": "ok"}
    market.drained()
    replied = market.replies(buyer)
    assert replied
    # the very same signed request again (a replay) and a fresh delivery of the same event id
    assert market.post_raw(body, headers).json() == {"status": "duplicate"}
    assert market.post_raw(*market.signed(event)).json() == {"status": "duplicate"}
    # the platform delivering everything twice
    market.control(repeat=1)
    market.send({"buyer_id": buyer, "text": "how long does shipping take?"})
    market.drained()
    assert user_texts(market.tracker(buyer)) == ["what payment methods do you accept?", "how long does shipping take?"]
    texts = [r["text"] for r in market.replies(buyer)]
    bot = [e["text"] for e in market.tracker(buyer)["events"] if e["event"] == "bot" and e.get("text")]
    assert texts == bot and len(texts) > len(replied)


def test_events_out_of_order(market, stack):
    buyer = market.new_buyer()
    now = int(time.time() * 1000)
    # the second message arrives first; both are answered, and the late one is marked in the transcript
    market.control(reverse=True)
    market.send({"buyer_id": buyer, "text": "hi", "created_at": now - 2000},
                {"buyer_id": buyer, "text": "how long does shipping take?", "created_at": now - 1000})  # fmt: skip
    market.drained()
    users = [e for e in market.tracker(buyer)["events"] if e["event"] == "user"]
    assert [u["text"] for u in users] == ["how long does shipping take?", "hi"]
    assert [u["metadata"]["marketplace"]["late"] for u in users] == [False, True]
    # read marks and closes never move backwards
    market.control()
    market.send({"buyer_id": buyer, "type": "read", "read_up_to": now},
                {"buyer_id": buyer, "type": "read", "read_up_to": now - 5000},
                {"buyer_id": buyer, "type": "conversation_closed", "created_at": now + 10},
                {"buyer_id": buyer, "type": "conversation_closed", "created_at": now - 10})  # fmt: skip
    r = redis.Redis.from_url(f"redis://127.0.0.1:{stack.redis_port}/0", decode_responses=True)
    state = r.hgetall(keys.channel_conversation(f"marketplace:c-{buyer}"))
    assert state["read_up_to"] == str(now) and state["closed_at"] == str(now + 10)
    assert state["last_message_at"] == str(now - 1000) and state["buyer_id"] == buyer


def test_outbound_failures_are_retried_without_duplicates(market):
    buyer = market.new_buyer()
    before = market.stats()
    market.control(fail_status=503, fail_times=2)  # two refusals, then the platform is back
    replies = market.say(buyer, "hello")
    assert len(replies) >= 1
    market.control(accept_then_fail=True)  # the platform takes the message but the answer is lost
    more = market.say(buyer, "thanks")
    assert len(more) >= 1
    after = market.stats()
    assert after.get("replies_refused", 0) - before.get("replies_refused", 0) == 2
    assert after.get("duplicate_replies", 0) - before.get("duplicate_replies", 0) >= 1  # retried, shown once
    bot = [e["text"] for e in market.tracker(buyer)["events"] if e["event"] == "bot" and e.get("text")]
    assert [r["text"] for r in market.replies(buyer)] == bot


def test_a_handed_off_chat_reaches_the_agent_and_back(market, stack, helpdesk):
    buyer = "mkt-buyer-1002"  # a seeded customer: the agent sees who it is
    replies = market.say(buyer, "the parcel came broken and nobody answers me, this is unacceptable")
    assert any("has your chat now" in r["text"] for r in replies), replies
    conversation = f"{stack.helpdesk_url}/conversations/marketplace:c-{buyer}"
    live = helpdesk.get(conversation, timeout=10).json()["live"]
    assert live["state"] == "assigned" and live["channel"] == "marketplace" and live["customer"] == buyer
    agent = live["agent"]

    assert market.say(buyer, "hello??") == []  # the bot keeps quiet while a person has the chat
    r = helpdesk.post(f"{conversation}/reply", json={"agent": agent, "text": "I'm sorry, a new one ships today."})
    assert r.status_code == 200, r.text
    market.drained()
    last = market.replies(buyer)[-1]
    assert last["text"] == "I'm sorry, a new one ships today." and last["sender"]["type"] == "agent"
    assert last["sender"]["id"] == agent and last["sender"]["name"]

    # the marketplace refuses for good: the agent sees that the buyer did not get it
    market.control(fail_status=404)
    r = helpdesk.post(f"{conversation}/reply", json={"agent": agent, "text": "Here is your tracking number."})
    assert r.status_code == 200
    failures = wait_for(lambda: helpdesk.get(f"{conversation}/transcript", timeout=10).json()["delivery_failures"])
    assert failures[0]["text"] == "Here is your tracking number." and "404" in failures[0]["reason"]
    market.control()
    helpdesk.post(f"{conversation}/resolve", json={"agent": agent}).raise_for_status()
    market.drained()
    assert any("I'm back" in m["text"] for m in market.replies(buyer)[-2:])


BURST_TEXTS = ["hi", "how long does shipping take?", "what payment methods do you accept?", "thanks",
               "what is your return policy?", "你好", "运费怎么算", "可以用什么方式付款"]  # fmt: skip


def test_a_burst_of_1000_events_from_50_buyers(market):
    rng = random.Random(6)
    buyers = [market.new_buyer() for _ in range(50)]
    events = [{"buyer_id": b, "text": rng.choice(BURST_TEXTS), "event_id": f"evt-{b}-{i}"}
              for i in range(20) for b in buyers]  # fmt: skip
    redelivered = rng.sample(events, 100)  # the platform sends some events again
    before = market.stats()
    results = market.send(*events, *redelivered, concurrency=16)
    assert all(r["delivered"] for r in results), [r for r in results if not r["delivered"]][:3]
    market.drained(timeout=300)
    after = market.stats()
    assert after.get("duplicate_replies", 0) == before.get("duplicate_replies", 0)
    lost, extra = 0, 0
    for b in buyers:
        tracker = market.tracker(b)
        users = [e for e in tracker["events"] if e["event"] == "user"]
        ids = [u["metadata"]["marketplace"]["event_id"] for u in users]
        assert len(ids) == len(set(ids)), f"{b}: an event handled twice"
        lost += 20 - len(ids)
        bot = [e["text"] for e in tracker["events"] if e["event"] == "bot" and e.get("text")]
        shown = [r["text"] for r in market.replies(b)]
        extra += abs(len(shown) - len(bot))
        assert shown == bot, f"{b}: the marketplace shows {len(shown)} replies, the transcript has {len(bot)}"
    assert lost == 0 and extra == 0


def test_the_rasa_servers_metrics_count_refusals_and_turns(market, stack):
    """GET /webhooks/metrics/ of the running Rasa server (credentials.yml's metrics channel, RASA_TOKEN): a forged
    webhook is counted by its reason, a buyer's message as one marketplace turn (connectors/metrics.py)."""

    def scrape() -> Dict[tuple, float]:
        url = f"{stack.rasa_url}/webhooks/metrics/"
        assert requests.get(url, timeout=10).status_code == 401
        r = requests.get(url, headers={"Authorization": f"Bearer {stack.rasa_token}"}, timeout=10)
        assert r.status_code == 200, r.text
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for f in text_string_to_metric_families(r.text) for s in f.samples}  # fmt: skip

    forged = (("channel", "marketplace"), ("reason", "bad_signature"))
    turns = ("kefu_channel_turn_seconds_count", (("channel", "marketplace"),))
    before = scrape()
    buyer = market.new_buyer()
    assert market.post_raw(*market.signed(message_event(buyer, "hi"), secret="not-the-secret")).status_code == 401
    assert market.say(buyer, "what payment methods do you accept?")
    after = scrape()
    assert after[("kefu_channel_refusals_total", forged)] == before.get(("kefu_channel_refusals_total", forged), 0) + 1
    assert after[turns] == before.get(turns, 0) + 1
    assert after[("kefu_outbox_pending_messages", (("outbox", "marketplace"),))] == 0  # drained by market.say
