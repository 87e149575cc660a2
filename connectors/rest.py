"""The REST channel with its input checked before Rasa sees it.

Stock RestInput answers a JSON array body with a 500 and accepts any sender or message type.
Here a bad request gets a 4xx with a reason and nothing reaches the tracker:
  413 body over MAX_BODY_BYTES; 400 not a JSON object, sender not a short id string (no ":"),
  message not a string, empty or over MAX_BUYER_TEXT (shop/formats.py). Control characters are removed,
and so is a claim of who the buyer is (metadata.kefu_verified).
The URL stays /webhooks/rest/webhook.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Optional, Text

from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from shop import trust
from shop.formats import CONTROL_CHARS, MAX_BODY_BYTES, MAX_BUYER_TEXT

# no ":": "<channel>:<id>" belongs to channels that prove who the buyer is (connectors/marketplace)
SENDER_RE = re.compile(r"^[\w.@\-]{1,128}$")


def check_body(request: Request) -> Optional[str]:
    """The reason the request is refused, or None if it is fine."""
    if len(request.body or b"") > MAX_BODY_BYTES:
        return "body too large"
    try:
        body = request.json
    except Exception:  # sanic raises InvalidUsage on undecodable JSON
        return "body is not valid JSON"
    if not isinstance(body, dict):
        return "body must be a JSON object"
    sender = body.get("sender", "default")
    if not isinstance(sender, str) or not SENDER_RE.match(sender):
        return "sender must be 1-128 letters, digits or . @ _ -"
    message = body.get("message")
    if not isinstance(message, str):
        return "message must be a string"
    if not message.strip():
        return "message is empty"
    if len(message) > MAX_BUYER_TEXT:
        return f"message is longer than {MAX_BUYER_TEXT} characters"
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return "metadata must be a JSON object"
    return None


class KefuRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def _extract_message(self, req: Request) -> Optional[Text]:
        return CONTROL_CHARS.sub("", req.json["message"]).strip()

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()  # never the caller's claim

    def blueprint(self, on_new_message) -> Blueprint:
        bp = super().blueprint(on_new_message)

        @bp.middleware("request")
        async def refuse_bad_input(request: Request) -> Any:
            if request.method == "POST" and request.path.endswith("/webhook"):
                reason = check_body(request)
                if reason:
                    status = 413 if reason == "body too large" else 400
                    return response.json({"error": reason}, status=status)
            return None

        return bp

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        """The caller's metadata, without a claim of who the buyer is: only a channel that verified the
        buyer may make one (shop/trust.py), and a REST caller is anyone."""
        metadata = request.json.get("metadata")
        if metadata is None:
            return None
        return {key: value for key, value in metadata.items() if key != trust.CLAIM_KEY}
