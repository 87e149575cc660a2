"""The REST channel with its input checked before Rasa sees it, and retries answered once.

Stock RestInput answers a JSON array body with a 500 and accepts any sender or message type.
Here a bad request gets a 4xx with a reason and nothing reaches the tracker:
  413 body over MAX_BODY_BYTES; 400 not a JSON object, sender not a short id string (no ":"),
  message not a string, empty or over MAX_BUYER_TEXT (shop/formats.py), message_id malformed.
Control characters are removed, and so is a claim of who the buyer is (metadata.kefu_verified).

A caller that sends a `message_id` may retry freely (a timeout, a 502 from a process that died): the
retry waits for the first delivery and gets the same answer from the transcript, never a second turn
(connectors/deliveries.py). The URL stays /webhooks/rest/webhook.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Dict, Optional, Text

import redis
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from connectors.deliveries import MESSAGE_ID_KEY, Deliveries, claim
from connectors.metrics import refused, timed
from shop import trust
from shop.formats import CONTROL_CHARS, MAX_BODY_BYTES, MAX_BUYER_TEXT, MESSAGE_ID

log = logging.getLogger(__name__)
# no ":": "<channel>:<id>" belongs to channels that prove who the buyer is (connectors/marketplace)
SENDER_RE = re.compile(r"^[\w.@\-]{1,128}$")
MESSAGE_ID_RE = re.compile(MESSAGE_ID)


# why a request is refused: the code (a label of kefu_channel_refusals_total) -> what the caller is told
REFUSALS = {
    "too_large": "body too large",
    "bad_json": "body is not valid JSON",
    "not_object": "body must be a JSON object",
    "bad_sender": "sender must be 1-128 letters, digits or . @ _ -",
    "bad_message": "message must be a string",
    "empty": "message is empty",
    "too_long": f"message is longer than {MAX_BUYER_TEXT} characters",
    "bad_metadata": "metadata must be a JSON object",
    "bad_message_id": "message_id must be 1-64 letters, digits, _ or -",
}


def check_body(request: Request) -> Optional[str]:
    """The code of the reason the request is refused (REFUSALS), or None if it is fine."""
    if len(request.body or b"") > MAX_BODY_BYTES:
        return "too_large"
    try:
        body = request.json
    except Exception:  # sanic raises InvalidUsage on undecodable JSON
        return "bad_json"
    if not isinstance(body, dict):
        return "not_object"
    sender = body.get("sender", "default")
    if not isinstance(sender, str) or not SENDER_RE.match(sender):
        return "bad_sender"
    message = body.get("message")
    if not isinstance(message, str):
        return "bad_message"
    if not message.strip():
        return "empty"
    if len(message) > MAX_BUYER_TEXT:
        return "too_long"
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return "bad_metadata"
    message_id = body.get("message_id")
    if message_id is not None and (not isinstance(message_id, str) or not MESSAGE_ID_RE.match(message_id)):
        return "bad_message_id"
    return None


def as_rest_message(sender_id: str, bot_event: Dict[str, Any]) -> Dict[str, Any]:
    """A stored bot turn as RestInput sends it (CollectingOutputChannel's shape)."""
    data = {k: v for k, v in (bot_event.get("data") or {}).items() if v}
    return {"recipient_id": sender_id, "text": bot_event.get("text"), **data}


class KefuRestInput(RestInput):
    def __init__(self) -> None:
        self._deliveries: Optional[Deliveries] = None

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def _extract_message(self, req: Request) -> Optional[Text]:
        return CONTROL_CHARS.sub("", req.json["message"]).strip()

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()  # never the caller's claim

    def deliveries(self) -> Deliveries:
        if self._deliveries is None:
            self._deliveries = Deliveries.connect(self.name())
        return self._deliveries

    async def once(self, request: Request) -> Optional[response.HTTPResponse]:
        """None: handle the message (and mark it done after); or the answer it got before."""
        sender, message_id = request.json.get("sender", "default"), request.json["message_id"]
        delivery, store = f"{sender}:{message_id}", request.app.ctx.agent.tracker_store
        try:
            found = await claim(self.deliveries(), delivery, store, sender, message_id)
        except (redis.RedisError, OSError) as exc:  # better a rare second answer than a lost message
            log.error("REST deliveries unavailable, handling %s: %s", delivery, exc)
            return None
        if found.busy:
            refused(self.name(), "busy")
            return response.json({"error": "this message is still being answered; send it again later"}, 409)
        if found.handle:
            request.ctx.delivery = delivery
            return None
        refused(self.name(), "duplicate")  # answered before: the same answer again, no second turn
        return response.json([as_rest_message(sender, e) for e in found.answers])

    def blueprint(self, on_new_message) -> Blueprint:
        bp = super().blueprint(timed(self.name(), on_new_message))

        @bp.middleware("request")
        async def refuse_bad_input(request: Request) -> Any:
            if request.method == "POST" and request.path.endswith("/webhook"):
                reason = check_body(request)
                if reason:
                    refused(self.name(), reason)
                    status = 413 if reason == "too_large" else 400
                    return response.json({"error": REFUSALS[reason]}, status=status)
                if request.json.get("message_id") is not None:
                    return await self.once(request)
            return None

        @bp.middleware("response")
        async def mark_answered(request: Request, resp: response.HTTPResponse) -> None:
            delivery = getattr(request.ctx, "delivery", None)
            if delivery is not None:
                await asyncio.to_thread(self.deliveries().settle, delivery, resp.status == 200)

        return bp

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        """The caller's metadata with the message id, without a claim of who the buyer is: only a channel
        that verified the buyer may make one (shop/trust.py), and a REST caller is anyone."""
        metadata = {k: v for k, v in (request.json.get("metadata") or {}).items() if k != trust.CLAIM_KEY}
        if request.json.get("message_id") is not None:
            metadata[MESSAGE_ID_KEY] = request.json["message_id"]
        return metadata or None
