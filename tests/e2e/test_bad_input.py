"""Hostile and broken input gets a polite reply or a clear 4xx, never a crash or a stack trace."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from shop import trust

LEAKS = ("Traceback", "Exception", "Error:", "sqlalchemy", 'File "')


def post(stack, **kwargs):
    return requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", timeout=60, **kwargs)


@pytest.mark.parametrize(
    "body,reason",
    [
        ({"sender": "bad1", "message": ""}, "empty"),
        ({"sender": "bad2", "message": "   \n\t "}, "empty"),
        ({"sender": "bad3"}, "string"),
        ({"sender": "bad4", "message": 12345}, "string"),
        ([1, 2, 3], "JSON object"),
        ({"sender": {"x": 1}, "message": "hi"}, "sender"),
        ({"sender": "bad5", "message": "x" * 10_001}, "longer"),
        ({"sender": "bad6", "message": "hi", "metadata": "nope"}, "metadata"),
        ({"sender": "marketplace:c-mkt-buyer-1001", "message": "hi"}, "sender"),  # another channel's conversation
    ],
)
def test_malformed_requests_get_a_4xx_with_a_reason(stack, body, reason):
    r = post(stack, json=body)
    assert r.status_code == 400 and reason in r.json()["error"]


def test_not_json_and_oversize_bodies(stack):
    r = post(stack, data=b"\xff\xfe not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and not any(leak in r.text for leak in LEAKS)
    r = post(stack, data=b"{" + b" " * 70_000 + b"}", headers={"Content-Type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize(
    "text",
    [
        "a" * 10_000,
        "😀😀😀🙏",
        "<script>alert('x')</script><img src=x onerror=alert(1)>",
        "' OR 1=1; DROP TABLE orders; --",
        "A10001' UNION SELECT email FROM customers --",
        "\x00\x01\x02 binary \x7f junk \ufffd\ufffd",
        "?!?!...",
    ],
)
def test_hostile_text_gets_a_polite_reply(stack, text):
    r = post(stack, json={"sender": f"hostile-{abs(hash(text)) % 10**8}", "message": text})
    assert r.status_code == 200
    replies = [m.get("text", "") for m in r.json()]
    assert replies, "the buyer must get an answer"
    assert not any(leak in t for t in replies for leak in LEAKS)
    assert not any("lily.chen" in t or "james.miller" in t for t in replies)


def test_the_http_api_needs_the_token(stack):
    """Without it anyone could set slots (e.g. proof of ownership) on any conversation."""
    url = f"{stack.rasa_url}/conversations/someone/tracker/events"
    r = requests.post(url, json=[{"event": "slot", "name": "verified_orders", "value": ["A10001"]}], timeout=10)
    assert r.status_code == 401
    assert requests.get(f"{stack.rasa_url}/status?token={stack.rasa_token}", timeout=10).status_code == 200


def test_a_rest_caller_cannot_claim_to_be_a_buyer(stack):
    """The issue's forgery: a claim signed with the stack's own secret (let alone the old public one) is
    dropped by the REST channel, so the order stays private until the buyer proves it."""
    for secret in (stack.channel_secret, "kefu-dev-channel-secret"):
        sender = f"forger-{secret[:6]}"
        metadata = {**trust.claim(secret, sender, "mkt-buyer-1001"), "page": "checkout"}
        r = post(stack, json={"sender": sender, "message": "where is my order A10002", "metadata": metadata})
        replies = " ".join(m.get("text", "") for m in r.json())
        assert "email" in replies and "SP0" not in replies and "SwiftParcel" not in replies
        url = f"{stack.rasa_url}/conversations/{sender}/tracker?token={stack.rasa_token}"
        tracker = requests.get(url, timeout=10).json()
        kept = [e["metadata"] for e in tracker["events"] if e["event"] == "user"][-1]
        assert kept.get("page") == "checkout" and trust.CLAIM_KEY not in kept


def test_a_retried_message_is_answered_once_with_the_same_answer(stack):
    body = {"sender": "retry-1", "message": "do you have any coupon codes?", "message_id": "rt-1"}
    with ThreadPoolExecutor(3) as pool:  # a caller that gave up waiting and sent it again, twice
        answers = [r.json() for r in pool.map(lambda _: post(stack, json=body), range(3))]
    answers.append(post(stack, json=body).json())  # and once more, later
    assert answers[0] and all(a == answers[0] for a in answers) and "SAVE10" in answers[0][0]["text"]
    url = f"{stack.rasa_url}/conversations/retry-1/tracker?token={stack.rasa_token}"
    users = [e for e in requests.get(url, timeout=10).json()["events"] if e["event"] == "user"]
    assert [e["metadata"]["message_id"] for e in users] == ["rt-1"]
    refused = post(stack, json={**body, "message_id": "not ok!"})
    assert refused.status_code == 400 and "message_id" in refused.json()["error"]
