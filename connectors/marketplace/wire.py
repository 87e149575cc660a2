"""The marketplace's wire format, in one place: signing, the webhook event, the outbound message.

Inbound (the marketplace calls us)::

    POST /webhooks/marketplace/webhook
    X-Mkt-Timestamp: 1763930000                  unix seconds when the marketplace sent it
    X-Mkt-Signature: sha256=<hex>                HMAC-SHA256(app_secret, "<timestamp>." + raw body)
    {"event_id": "evt_…",                        unique per event; a redelivery repeats it
     "type": "message" | "read" | "conversation_closed",
     "shop_id": "…", "conversation_id": "…", "buyer_id": "…",
     "created_at": 1763930000123,                milliseconds, when it happened on the marketplace
     "message": {"id": "…", "text": "…",         type "message" only; text may be "" with an image
                 "image": {"url": "…"}}          optional: a photo, fetched from the marketplace API's host
     "read_up_to": 1763930000000}                type "read" only: the newest message the buyer has seen

Outbound (we call the marketplace)::

    POST <api_url>/api/v1/shops/<shop_id>/conversations/<conversation_id>/messages
    Authorization: Bearer <access_token>
    Idempotency-Key: <our message id>            a retry repeats it; the marketplace sends the message once
    {"text": "…", "buttons": [{"title", "payload"}], "reply_to": "<message id>" | null,
     "sender": {"type": "bot" | "agent", "name": "…"},
     "image": {"url": "<kefu's public URL>/webhooks/webchat/files/<file>"}}   only with an agent's photo

A second marketplace with other header names or fields is a subclass that overrides these names
or methods (see MarketplaceInput.wire).
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any, Dict, Mapping, Optional, Tuple

from shop.formats import CONTROL_CHARS, MAX_BUYER_TEXT, MAX_URL

EVENT_TYPES = ("message", "read", "conversation_closed")
ID_RE = re.compile(r"^[\w.:-]{1,128}$")


class BadEvent(ValueError):
    """The body is not an event we accept; the reason goes back to the marketplace as a 400."""


@dataclass(frozen=True)
class Event:
    event_id: str
    type: str
    shop_id: str
    conversation_id: str
    buyer_id: str
    created_at: int  # ms
    message_id: str = ""
    text: str = ""
    read_up_to: int = 0
    image_url: str = ""
    raw: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Wire:
    signature_header: str = "X-Mkt-Signature"
    timestamp_header: str = "X-Mkt-Timestamp"
    signature_prefix: str = "sha256="
    max_skew_s: int = 300  # older (or further in the future) than this: refused as stale

    # -- signing --------------------------------------------------------------------------------
    def signature(self, secret: bytes, timestamp: str, body: bytes) -> str:
        digest = hmac.new(secret, timestamp.encode() + b"." + body, sha256).hexdigest()
        return self.signature_prefix + digest

    def signed_headers(self, secret: bytes, body: bytes, now: float) -> Dict[str, str]:
        """The headers a marketplace puts on a webhook call (the fake marketplace and the tests use them)."""
        ts = str(int(now))
        return {
            "Content-Type": "application/json",
            self.timestamp_header: ts,
            self.signature_header: self.signature(secret, ts, body),
        }

    def check_signature(self, secret: bytes, headers: Mapping[str, str], body: bytes, now: float) -> Optional[str]:
        """Why the call is not from the marketplace (a 401), or None."""
        ts = headers.get(self.timestamp_header) or ""
        given = headers.get(self.signature_header) or ""
        if not ts or not given:
            return "missing signature or timestamp"
        if not ts.isdigit() or len(ts) > 12:
            return "timestamp must be unix seconds"
        if abs(now - int(ts)) > self.max_skew_s:
            return "stale timestamp"
        if not hmac.compare_digest(given.encode(), self.signature(secret, ts, body).encode()):
            return "bad signature"
        return None

    # -- the inbound event ----------------------------------------------------------------------
    def parse_event(self, body: bytes) -> Event:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise BadEvent("body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadEvent("body must be a JSON object")
        ids = {}
        for name in ("event_id", "shop_id", "conversation_id", "buyer_id"):
            value = data.get(name)
            if not isinstance(value, str) or not ID_RE.match(value):
                raise BadEvent(f"{name} must be 1-128 letters, digits or . : _ -")
            ids[name] = value
        kind = data.get("type")
        if not isinstance(kind, str):
            raise BadEvent("type must be a string")
        created_at = data.get("created_at")
        if not isinstance(created_at, int) or isinstance(created_at, bool) or created_at < 0:
            raise BadEvent("created_at must be milliseconds since 1970")
        event = Event(type=kind, created_at=created_at, raw=data, **ids)
        if kind == "message":
            message = data.get("message")
            if not isinstance(message, dict):
                raise BadEvent("message must be an object")
            mid, text, image = message.get("id"), message.get("text", ""), message.get("image")
            if not isinstance(mid, str) or not ID_RE.match(mid):
                raise BadEvent("message.id must be 1-128 letters, digits or . : _ -")
            url = image.get("url") if isinstance(image, dict) else None
            if image is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))
                                      or len(url) > MAX_URL):  # fmt: skip
                raise BadEvent(f"message.image.url must be an http(s) URL of at most {MAX_URL} characters")
            if not isinstance(text, str) or not (CONTROL_CHARS.sub("", text).strip() or url):
                raise BadEvent("message.text must be a string with something visible in it (or an image)")
            if len(text) > MAX_BUYER_TEXT:
                raise BadEvent(f"message.text is longer than {MAX_BUYER_TEXT} characters")
            return Event(**{**event.__dict__, "message_id": mid, "text": text, "image_url": url or ""})
        if kind == "read":
            up_to = data.get("read_up_to")
            if not isinstance(up_to, int) or isinstance(up_to, bool) or up_to < 0:
                raise BadEvent("read_up_to must be milliseconds since 1970")
            return Event(**{**event.__dict__, "read_up_to": up_to})
        return event  # conversation_closed, or a type we do not know (accepted and ignored)

    def event_body(self, event: Dict[str, Any]) -> bytes:
        return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()

    # -- the outbound message -------------------------------------------------------------------
    def outbound_request(
        self, api_url: str, shop_id: str, conversation_id: str, message: Dict[str, Any]
    ) -> Tuple[str, Dict[str, Any]]:
        """URL and JSON body for one of our messages (message: text, buttons, reply_to, sender)."""
        url = f"{api_url.rstrip('/')}/api/v1/shops/{shop_id}/conversations/{conversation_id}/messages"
        return url, message

    def auth_headers(self, access_token: str, idempotency_key: str) -> Dict[str, str]:
        return {"Authorization": f"Bearer {access_token}", "Idempotency-Key": idempotency_key}


WIRE = Wire()
