"""The email channel: mails in from the SMTP gateway (scripts/email_gateway.py), replies out by SMTP, in the thread.

    POST /webhooks/email/inbound   one raw RFC 5322 message; Authorization: Bearer <EMAIL_GATEWAY_SECRET>
    GET  /webhooks/email/          health: configured or not

Each post is checked in this order, and refused with {"error": reason}:
  503 no gateway secret set; 401 a missing or wrong token; 413 over MAX_MAIL_TEXT_BYTES (the gateway sends only
  the text parts); 400 no valid From address, no text, or unreadable; 409 the same mail is being answered by another
  delivery right now. Auto-replies, bounces and list mail get 200 {"status": "ignored"} (answering them could start
  a mail loop); a Message-ID answered before gets 200 {"status": "duplicate"}, and nothing is sent again.

The bot's messages of one turn go out as ONE mail answering the buyer's, with In-Reply-To and References; an
agent's message (Rasa's output_channel=latest) goes out at once, in the same thread, under the agent's name.
The sender's address is not proof of who the buyer is (From is easy to forge): the bot still asks for the email
or phone on the order.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
from email.utils import formataddr, parseaddr
from functools import cached_property
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

import redis
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from connectors.deliveries import MESSAGE_ID_KEY, Deliveries, answered_before
from connectors.email.mail import BadMail, Mail, Thread, build_reply, parse
from connectors.email.smtp import TRIES, SendFailed, send
from connectors.email.threads import Threads, digest, thread_of
from connectors.metrics import refused, timed
from helpdesk import keys
from helpdesk.payloads import AGENT_KEY
from helpdesk.redis_conn import connect
from shop.formats import EMAIL, HAS_CJK, MAX_BUYER_TEXT, MAX_MAIL_TEXT_BYTES
from shop.settings import EmailSettings, Settings

log = logging.getLogger(__name__)
AN_EMAIL = re.compile(EMAIL)
A_WORD = re.compile(r"[A-Za-z]{2,}")

# what our mails add to the bot's words, in the buyer's language
OPTIONS = {
    "en": "Reply with one of: {options}",
    "zh": "请直接回复以下选项之一:{options}",
}


def language_of(text: str, before: str) -> str:
    """The README's rule: any Chinese character -> zh; English words -> en; an email, a number alone: unchanged."""
    if HAS_CJK.search(text):
        return "zh"
    return "en" if A_WORD.search(AN_EMAIL.sub(" ", text)) else before


def compose(messages: List[Dict[Text, Any]], language: str) -> Tuple[str, List[Dict[str, str]]]:
    """One mail's text from the bot's messages, buttons as options to reply with; and those options."""
    parts, options = [], []
    for message in messages:
        text = (message.get("text") or "").strip()
        buttons = [{"title": str(b.get("title") or ""), "payload": str(b.get("payload") or "")}
                   for b in message.get("buttons") or [] if b.get("title")]  # fmt: skip
        if buttons:
            listed = " / ".join(b["title"] for b in buttons)
            text = f"{text}\n{OPTIONS.get(language, OPTIONS['en']).format(options=listed)}".strip()
            options = buttons
        if text:
            parts.append(text)
    return "\n\n".join(parts), options


class EmailOutput(OutputChannel):
    """Collects a turn's messages for one mail (collect=True); else sends each message as a mail at once."""

    def __init__(self, channel: "EmailInput", collect: bool = False) -> None:
        self.channel = channel
        self.collect = collect
        self.messages: List[Dict[Text, Any]] = []

    @classmethod
    def name(cls) -> Text:
        return "email"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        if not (message.get("text") or message.get("buttons")):
            return  # images and custom payloads: the bot sends none on this channel
        if self.collect:
            self.messages.append(message)
        else:
            await self.channel.send_mail(recipient_id, [message])

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


class EmailInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "email"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        creds = dict(credentials or {})
        settings = Settings.from_env()
        return cls(
            settings=settings,
            sender=settings.email.sender or str(creds.get("from") or ""),
            dedup_window_s=int(creds.get("dedup_window_s") or 7 * 86400),
        )

    def __init__(self, settings: Settings, sender: str, dedup_window_s: int = 7 * 86400) -> None:
        self.settings = settings
        self.email: EmailSettings = settings.email
        self.sender = sender or "kefu <kefu@localhost>"
        self.address = parseaddr(self.sender)[1] or "kefu@localhost"
        self.dedup_window_s = dedup_window_s  # a mail server may deliver a message again days later

    @property
    def configured(self) -> bool:
        return bool(self.email.gateway_secret)

    @cached_property
    def redis(self) -> redis.Redis:
        return connect(self.settings.redis_url, self.settings.var_dir)

    @cached_property
    def threads(self) -> Threads:
        return Threads(self.redis, self.name())

    @cached_property
    def deliveries(self) -> Deliveries:
        return Deliveries(self.redis, self.name(), self.dedup_window_s, lease_s=120)

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For messages outside a turn (an agent's reply, the bot's return): one mail each, in the thread."""
        return EmailOutput(self)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint(f"{self.name()}_webhook", __name__)
        on_new_message = timed(self.name(), on_new_message)

        @bp.listener("after_server_start")
        async def warn(app: Any, _: Any) -> None:
            if not self.configured:
                log.warning("email channel not configured (EMAIL_GATEWAY_SECRET): /webhooks/email/inbound answers 503")

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> response.HTTPResponse:
            return response.json({"status": "ok" if self.configured else "not configured"})

        @bp.route("/inbound", methods=["POST"])
        async def inbound(request: Request) -> response.HTTPResponse:
            status, body = await self.receive(request, on_new_message)
            return response.json(body, status=status, headers={"Retry-After": "30"} if status == 409 else None)

        return bp

    def refuse(self, reason: str, status: int, error: str) -> Tuple[int, Dict[str, str]]:
        refused(self.name(), reason)
        return status, {"error": error}

    def authorized(self, request: Request) -> bool:
        given = request.headers.get("Authorization", "")
        expected = f"Bearer {self.email.gateway_secret}"
        return hmac.compare_digest(given.encode(), expected.encode())

    async def receive(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Tuple[int, Dict[str, str]]:
        if not self.configured:
            return self.refuse("not_configured", 503, "channel not configured")
        if not self.authorized(request):
            return self.refuse("bad_token", 401, "missing or wrong token")
        raw = request.body or b""
        if len(raw) > MAX_MAIL_TEXT_BYTES:
            return self.refuse("too_large", 413, f"body over {MAX_MAIL_TEXT_BYTES} bytes")
        try:
            mail = parse(raw)
        except BadMail as exc:
            return self.refuse("bad_mail", 400, str(exc))
        if mail.automatic:
            refused(self.name(), "ignored")
            return 200, {"status": "ignored"}
        # a first mail may say it all in its subject ("Where is order A10002?") and nothing in its body
        text = mail.text or ("" if mail.references else mail.subject)
        if not text.strip():
            return self.refuse("empty", 400, "the message has no text we can read")
        try:
            return await self.answer(request, mail, text[:MAX_BUYER_TEXT], on_new_message)
        except (redis.RedisError, OSError) as exc:
            log.error("email channel: Redis unavailable: %s", exc)
            return self.refuse("unavailable", 503, "temporarily unavailable")

    async def answer(
        self, request: Request, mail: Mail, text: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Tuple[int, Dict[str, str]]:
        conversation = await asyncio.to_thread(self.threads.conversation_of, mail)
        delivery = digest(mail.address, mail.message_id)
        state = await asyncio.to_thread(self.deliveries.begin, delivery)
        if state == "busy":
            return self.refuse("busy", 409, "this mail is being answered; deliver it again later")
        if state == "duplicate" or (
            state == "retake"
            and await answered_before(request.app.ctx.agent.tracker_store, conversation, delivery) is not None
        ):
            await asyncio.to_thread(self.deliveries.done, delivery)
            refused(self.name(), "duplicate")  # the same mail delivered again, or replayed: answered once
            return 200, {"status": "duplicate"}
        try:
            await self.turn(conversation, mail, text, delivery, on_new_message)
        except Exception:  # noqa: BLE001 - give the mail back so the gateway's retry is handled in full
            log.exception("email %s failed", mail.message_id)
            await asyncio.to_thread(self.deliveries.settle, delivery, False)
            return self.refuse("failed", 500, "could not handle the mail now; deliver it again")
        await asyncio.to_thread(self.deliveries.settle, delivery, True)
        return 200, {"status": "ok", "conversation_id": conversation}

    async def turn(self, conversation: str, mail: Mail, text: str, delivery: str,
                   on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:  # fmt: skip
        language = language_of(text, await asyncio.to_thread(self.threads.language, conversation))
        options = await asyncio.to_thread(self.threads.options, conversation)
        chosen = next((o["payload"] for o in options if o["title"].strip().lower() == text.strip().lower()), None)
        await asyncio.to_thread(self.threads.took, conversation, mail, language)
        metadata = {
            MESSAGE_ID_KEY: delivery,
            self.name(): {
                "message_id": mail.message_id,
                "from": mail.address,
                "name": mail.name,
                "subject": mail.subject,
                "attachments": mail.attachments,
            },  # fmt: skip
        }
        output = EmailOutput(self, collect=True)
        message = UserMessage(chosen or text, output, conversation, input_channel=self.name(), metadata=metadata)
        await on_new_message(message)
        if output.messages:  # none while an agent holds the chat: the bot keeps quiet
            # this mail's own thread, not the stored one: a newer mail may have arrived during the turn
            await self.send_mail(conversation, output.messages, language, thread_of(mail))

    async def send_mail(self, conversation: str, messages: List[Dict[Text, Any]], language: str = "",
                        thread: Optional[Thread] = None) -> bool:  # fmt: skip
        """One mail in the thread (by default the conversation's, answering the buyer's last mail); a failure is
        recorded for the agents (delivery_failed)."""
        thread = thread or await asyncio.to_thread(self.threads.thread, conversation)
        if thread is None:
            log.error("email conversation %s has no thread to answer in", conversation)
            return False
        language = language or await asyncio.to_thread(self.threads.language, conversation)
        text, options = compose(messages, language)
        agent = messages[0].get(AGENT_KEY) or {}
        sender = formataddr((agent["name"], self.address)) if agent.get("name") else self.sender
        msg = build_reply(thread, text, sender, automatic=not agent)
        await asyncio.to_thread(self.threads.remember, conversation, thread.address, str(msg["Message-ID"]))
        await asyncio.to_thread(self.threads.set_options, conversation, options)
        try:
            await send(self.email, msg)
        except SendFailed as exc:
            log.error("email to %s in %s not sent: %s", thread.address, conversation, exc)
            await asyncio.to_thread(self.failed, conversation, text, str(exc), agent.get("id", ""))
            return False
        return True

    def failed(self, conversation: str, text: str, reason: str, agent: str) -> None:
        """As the marketplace's outbox does: kept for the console (red), announced, counted for /metrics."""
        record = {"text": text, "reason": reason, "at": time.time(), "channel": self.name(), "agent": agent,
                  "attempts": TRIES}  # fmt: skip
        live = {"kind": "delivery_failed", "conversation_id": conversation, "agent": agent}
        pipe = self.redis.pipeline()
        pipe.lpush(keys.delivery_failed(conversation), json.dumps(record, ensure_ascii=False))
        pipe.ltrim(keys.delivery_failed(conversation), 0, 49)
        pipe.publish(keys.LIVE, json.dumps(live))
        pipe.hincrby(keys.OUTBOX_FAILED, self.name(), 1)
        pipe.execute()
