"""The marketplace channel: signed webhook events in, REST messages out (wire format in wire.py).

    POST /webhooks/marketplace/webhook   an event from the marketplace
    GET  /webhooks/marketplace/          health: configured or not, messages waiting to be sent

Each call is checked in this order, and refused with {"error": reason}:
  413 body over MAX_BODY_BYTES; 401 signature or timestamp missing, wrong or older than 5 minutes;
  400 not an event (the reason says which field); 403 signed but for another shop;
  409 the same event is being handled by another delivery right now (Retry-After; the marketplace redelivers);
  500 the bot could not take it now (nothing was kept, so the redelivery is handled in full).
An event id handled before gets 200 {"status": "duplicate"} and nothing happens. Events of a type we do
not know get 200 {"status": "ignored"}, so a marketplace adding types does not disable the webhook.
Every refusal and duplicate is counted by its reason (kefu_channel_refusals_total, connectors/metrics.py).

The buyer's marketplace id is signed into the message metadata (shop/trust.py): it is the
shop customer's channel_id, so order ownership counts as proven here. The conversation's Rasa id is
"<channel name>:<conversation id>", which the REST channel refuses as a sender.
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.request
from functools import cached_property
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple
from urllib.parse import urlsplit

import redis
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from connectors.deliveries import MESSAGE_ID_KEY, answered_before
from connectors.files import Uploads, photo_words, public_file_url
from connectors.marketplace.inbox import Inbox
from connectors.marketplace.outbox import Outbox, RetryPolicy, Sender, parse_policy
from connectors.marketplace.wire import WIRE, BadEvent, Event, Wire
from connectors.metrics import refused, timed
from helpdesk.payloads import AGENT_KEY
from helpdesk.redis_conn import connect
from shop import trust
from shop.attachments import ATTACHMENTS_KEY, Refused, attachments_of, file_store
from shop.config import load_shop_config
from shop.formats import CONTROL_CHARS, HAS_CJK, MAX_BODY_BYTES
from shop.settings import Settings

log = logging.getLogger(__name__)
# Wire.check_signature's reasons -> the reason label of kefu_channel_refusals_total (another text: bad_signature)
SIGNATURE_REFUSALS = {
    "missing signature or timestamp": "unsigned",
    "timestamp must be unix seconds": "bad_timestamp",
    "stale timestamp": "stale_timestamp",
    "bad signature": "bad_signature",
}


class SameHostToken(urllib.request.HTTPRedirectHandler):
    """A redirect keeps the access token only on the same host: a marketplace's media often redirects to a CDN."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201 - urllib's signature
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urlsplit(newurl)[:2] != urlsplit(req.full_url)[:2]:
            new.remove_header("Authorization")
        return new


FETCH = urllib.request.build_opener(SameHostToken)


class MarketplaceOutput(OutputChannel):
    """Puts the bot's and the agents' messages in the outbox; the Sender delivers them."""

    def __init__(self, channel: "MarketplaceInput", reply_to: Optional[str] = None) -> None:
        self.channel = channel
        self.reply_to = reply_to  # the buyer's message this answers (None for an agent's message)

    @classmethod
    def name(cls) -> Text:
        return "marketplace"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        conversation = self.channel.conversation_of(recipient_id)
        agent = message.get(AGENT_KEY) or {}
        body = {
            "text": message.get("text") or "",
            "buttons": [{"title": b.get("title"), "payload": b.get("payload")} for b in message.get("buttons") or []],
            "reply_to": self.reply_to,
            "sender": {"type": "agent", "id": agent.get("id"), "name": agent.get("name")} if agent else {"type": "bot"},
        }
        image = next((f for f in attachments_of(message) if f["type"].startswith("image/")), None)
        if image:  # an agent's photo: the marketplace fetches it from kefu's public address
            body["image"] = {"url": public_file_url(self.channel.settings.public_url, image["file"])}
        if not body["text"] and not body["buttons"] and not image:
            return  # custom payloads: the bot sends none on this channel
        # raising here fails the turn before Rasa saves it, so the marketplace's redelivery redoes it
        await asyncio.to_thread(self.channel.outbox.push, conversation, recipient_id, body)
        if self.channel.sender is not None:
            self.channel.sender.poke()

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


class MarketplaceInput(InputChannel):
    wire: Wire = WIRE  # a second marketplace: a subclass with its own name() and Wire

    @classmethod
    def name(cls) -> Text:
        return "marketplace"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        creds = dict(credentials or {})
        settings = Settings.from_env()
        secrets = settings.channel_secrets(cls.name())  # secrets only from the environment
        return cls(
            shop_id=str(creds.get("shop_id") or ""),
            api_url=secrets.api_url or str(creds.get("api_url") or ""),
            app_secret=secrets.app_secret,
            access_token=secrets.access_token,
            dedup_window_s=int(creds.get("dedup_window_s") or 86400),
            policy=parse_policy(creds.get("retry")),
            settings=settings,
        )

    def __init__(self, shop_id: str, api_url: str, app_secret: str, access_token: str,
                 dedup_window_s: int = 86400, policy: Optional[RetryPolicy] = None,
                 settings: Optional[Settings] = None) -> None:  # fmt: skip
        self.shop_id, self.api_url, self.access_token = shop_id, api_url, access_token
        self.secret = app_secret.encode()
        self.dedup_window_s = dedup_window_s
        self.policy = policy or RetryPolicy()
        self.settings = settings or Settings.from_env()
        self.sender: Optional[Sender] = None

    @property
    def configured(self) -> bool:
        return bool(self.shop_id and self.api_url and self.secret and self.access_token)

    @cached_property
    def redis(self) -> redis.Redis:
        return connect(self.settings.redis_url, self.settings.var_dir)

    @cached_property
    def inbox(self) -> Inbox:
        return Inbox(self.redis, self.name(), self.dedup_window_s)

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self.redis, self.name())

    @cached_property
    def uploads(self) -> Uploads:
        rules = load_shop_config(self.settings.shop_config).attachments
        return Uploads(self.redis, file_store(self.settings), rules)

    def fetch_image(self, url: str) -> Tuple[bytes, str]:
        """A buyer's photo from the marketplace (its URL is on the API's host: receive() checked), at most one
        byte over the shop's limit (check() then refuses it), within the retry policy's timeout."""
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.access_token}"})
        with FETCH.open(request, timeout=self.policy.timeout_s) as found:
            return found.read(self.uploads.rules.max_bytes + 1), found.headers.get("Content-Type", "")

    def sender_id(self, conversation: str) -> str:
        return f"{self.name()}:{conversation}"

    def conversation_of(self, sender_id: str) -> str:
        prefix = f"{self.name()}:"
        if not sender_id.startswith(prefix):
            raise ValueError(f"{sender_id} is not a {self.name()} conversation")
        return sender_id[len(prefix) :]

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For messages not answering a webhook (an agent's reply): the conversation comes from the recipient."""
        return MarketplaceOutput(self)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint(f"{self.name()}_webhook", __name__)
        on_new_message = timed(self.name(), on_new_message)

        @bp.listener("after_server_start")
        async def start_sender(app: Any, _: Any) -> None:
            if not self.configured:
                env = self.name().upper()
                log.warning("%s channel not configured (shop_id, api_url, %s_APP_SECRET, %s_ACCESS_TOKEN): "
                            "its webhook answers 503", self.name(), env, env)  # fmt: skip
                return
            self.sender = Sender(self.outbox, self.wire, self.api_url, self.shop_id, self.access_token, self.policy)
            self.sender.start_thread()

        @bp.listener("before_server_stop")
        async def stop_sender(app: Any, _: Any) -> None:
            if self.sender is not None:
                self.sender.stop()

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> response.HTTPResponse:
            waiting = await asyncio.to_thread(self.outbox.pending) if self.configured else 0
            return response.json({"status": "ok" if self.configured else "not configured", "sending": waiting})

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> response.HTTPResponse:
            status, body = await self.receive(request, on_new_message)
            headers = {"Retry-After": "5"} if status == 409 else None
            return response.json(body, status=status, headers=headers)

        return bp

    async def receive(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Tuple[int, Dict[str, str]]:
        if not self.configured:
            return self.refuse("not_configured", 503, "channel not configured")
        raw = request.body or b""
        if len(raw) > MAX_BODY_BYTES:
            return self.refuse("too_large", 413, f"body over {MAX_BODY_BYTES} bytes")
        refusal = self.wire.check_signature(self.secret, request.headers, raw, time.time())
        if refusal:
            return self.refuse(SIGNATURE_REFUSALS.get(refusal, "bad_signature"), 401, refusal)
        try:
            event = self.wire.parse_event(raw)
        except BadEvent as exc:
            return self.refuse("bad_event", 400, str(exc))
        if event.shop_id != self.shop_id:
            return self.refuse("other_shop", 403, "event for another shop")
        if event.image_url and urlsplit(event.image_url)[:2] != urlsplit(self.api_url)[:2]:
            # the access token goes with the fetch, so only to the marketplace's own API host
            return self.refuse("bad_event", 400, "message.image.url must be on the marketplace API's host")
        inbox = self.inbox
        try:
            state = await asyncio.to_thread(inbox.begin, event.event_id)
        except (redis.RedisError, OSError) as exc:
            log.error("marketplace inbox unreachable: %s", exc)
            return self.refuse("unavailable", 503, "temporarily unavailable")
        if state == "duplicate":
            refused(self.name(), "duplicate")  # a redelivery, or a replay: acknowledged, not handled again
            return 200, {"status": "duplicate"}
        if state == "busy":
            return self.refuse("busy", 409, "this event is being handled; deliver it again later")
        if state == "retake" and event.type == "message":  # the process that took it died, maybe after answering
            store = request.app.ctx.agent.tracker_store
            if await answered_before(store, self.sender_id(event.conversation_id), event.message_id) is not None:
                await asyncio.to_thread(inbox.done, event.event_id)
                refused(self.name(), "duplicate")
                return 200, {"status": "duplicate"}
        try:
            status = await self.handle(event, on_new_message)
        except Exception:  # noqa: BLE001 - any failure: give the event back for the redelivery, no internals out
            log.exception("marketplace event %s failed", event.event_id)
            try:
                await asyncio.to_thread(inbox.abandon, event.event_id)
            except (redis.RedisError, OSError):  # then the lease runs out before the redelivery is taken
                log.error("marketplace event %s not given back", event.event_id)
            return self.refuse("failed", 500, "could not handle the event now; deliver it again")
        try:
            await asyncio.to_thread(inbox.done, event.event_id)
        except (redis.RedisError, OSError) as exc:  # handled all the same; a redelivery meets "busy" for a while
            log.error("marketplace event %s handled but not marked done: %s", event.event_id, exc)
        return 200, {"status": status}

    def refuse(self, reason: str, status: int, error: str) -> Tuple[int, Dict[str, str]]:
        """Count the refusal (reason: the label) and answer it (error: what the marketplace is told)."""
        refused(self.name(), reason)
        return status, {"error": error}

    async def handle(self, event: Event, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> str:
        inbox, conv, buyer = self.inbox, event.conversation_id, event.buyer_id
        if event.type == "read":
            await asyncio.to_thread(inbox.raise_mark, conv, "read_up_to", event.read_up_to, buyer)
            return "ok"
        if event.type == "conversation_closed":
            # recorded for the console; a message sent before the close but delivered after it is still answered
            await asyncio.to_thread(inbox.raise_mark, conv, "closed_at", event.created_at, buyer)
            return "ok"
        if event.type != "message":
            return "ignored"
        newest_before = await asyncio.to_thread(inbox.raise_mark, conv, "last_message_at", event.created_at, buyer)
        sender_id = self.sender_id(conv)
        metadata = {
            MESSAGE_ID_KEY: event.message_id,
            self.name(): {
                "event_id": event.event_id,
                "message_id": event.message_id,
                "buyer_id": buyer,
                "created_at": event.created_at,
                "late": event.created_at < newest_before,
            },  # fmt: skip
            **trust.claim(self.settings.channel_secret, sender_id, buyer),
        }
        text = CONTROL_CHARS.sub("", event.text).strip()
        output = MarketplaceOutput(self, reply_to=event.message_id)
        if event.image_url:
            try:
                kept = await asyncio.to_thread(self.keep_image, conv, event.image_url)
            except Refused as exc:  # told to the buyer, in their language (both when a photo came alone)
                lang = ("zh" if HAS_CJK.search(text) else "en") if text else ""
                await output.send_response(sender_id, {"text": exc.texts.get(lang) or "\n".join(exc.texts.values())})
                return "refused_file"
            metadata[ATTACHMENTS_KEY] = [kept]
            text = text or photo_words()
        await on_new_message(UserMessage(text, output, sender_id, input_channel=self.name(), metadata=metadata))
        return "ok"

    def keep_image(self, conversation: str, url: str) -> Dict[str, Any]:
        data, declared = self.fetch_image(url)
        return self.uploads.keep(conversation, data, declared)
