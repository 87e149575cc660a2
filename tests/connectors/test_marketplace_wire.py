"""The marketplace's message events with a photo (connectors/marketplace/wire.py): words optional beside one."""

from __future__ import annotations

import json

import pytest

from connectors.marketplace.wire import WIRE, BadEvent


def body(message: dict) -> bytes:
    return json.dumps({"event_id": "e1", "type": "message", "shop_id": "s", "conversation_id": "c-b", "buyer_id": "b",
                       "created_at": 1, "message": {"id": "m1", **message}}).encode()  # fmt: skip


def test_a_photo_may_come_without_words():
    event = WIRE.parse_event(body({"image": {"url": "https://mkt.example/api/v1/media/9"}}))
    assert event.image_url == "https://mkt.example/api/v1/media/9" and event.text == ""
    event = WIRE.parse_event(body({"text": "看这里", "image": {"url": "http://mkt.example/m/1"}}))
    assert event.text == "看这里" and event.image_url
    assert WIRE.parse_event(body({"text": "hi"})).image_url == ""


@pytest.mark.parametrize(
    "message, reason",
    [
        ({"image": {"url": "javascript:alert(1)"}}, "http(s) URL"),
        ({"image": {"url": "file:///etc/passwd"}}, "http(s) URL"),
        ({"image": {"url": "https://x/" + "a" * 2048}}, "2048"),
        ({"image": "https://mkt.example/1.jpg"}, "http(s) URL"),
        ({"image": {}}, "http(s) URL"),
        ({}, "message.text"),
        ({"text": " ", "image": None}, "message.text"),
        ({"text": 5, "image": {"url": "https://mkt.example/1.jpg"}}, "message.text"),
    ],
)
def test_a_bad_photo_or_no_content_is_refused_with_the_field(message, reason):
    with pytest.raises(BadEvent) as caught:
        WIRE.parse_event(body(message))
    assert reason in str(caught.value)
