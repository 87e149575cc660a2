"""The web chat widget's channel: socket.io on the Rasa server, plus the demo shop page that carries it.

    GET  /webhooks/webchat/            a demo product page with the widget
    GET  /webhooks/webchat/embed.js    the widget, in the one script a shop's page loads (embed_script)
    GET  /webhooks/webchat/static/...  widget.js, widget.css, socket.io.min.js (vendored, MIT), the demo page's CSS
    GET  /webhooks/webchat/history     the conversation so far, for a reloaded or reconnected widget (CORS: the
                                       listed origins)
    POST /webhooks/webchat/typing      {session_id, agent_name}, ?token=RASA_TOKEN: the helpdesk says an agent types
    POST /webhooks/webchat/upload      ?session_id=&lang=&name=, the photo's bytes as the body: checked and kept
                                       (connectors/files.py), answered {ok, file: {file, type, size, name}} or
                                       {ok: false, reason, error} (413, 415, 429, 400; error in the buyer's language)
    GET  /webhooks/webchat/files/<file>  a kept photo or file, to whoever has its (random) name
    socket.io at /webhooks/webchat/socket.io: Rasa's socketio protocol, which rasa-webchat (npm) speaks
      client -> server  session_request {session_id?}      server -> client  session_confirm <session_id>
      client -> server  user_uttered {session_id, message, message_id?, customData?, attachments?: [file],
                        lang?}, acknowledged with {ok, duplicate?} or {ok: false, error}; a message with
                        attachments (its uploads) may have no words: the bot then reads /send_photo
      server -> client  bot_uttered {text, buttons?, metadata: {agent_name?, timestamp, attachments?}}, and for
                        an agent's photo also rasa-webchat's {attachment: {type: "image", payload: {src}}}
      client -> server  seen {session_id, read_up_to (ms)}: the buyer has seen the chat up to then
      server -> client  agent_typing {agent_name}: after POST /webhooks/webchat/typing (the helpdesk's, Rasa's token)

Rasa's own socketio channel drops a message's metadata (so the widget could not say which agent wrote)
and loses what is sent while the widget is away. kefu's widget gives each user message an id: a resent
one is answered once (connectors/deliveries.py: also when the process handling it died), and the widget
fetches the history after every (re)connect. A client without ids (rasa-webchat) is answered as Rasa's
channel would: no dedup, and, since it reads no acks, a refused message is explained in a bot message.
bot_uttered carries exactly {text} or {text, buttons} besides metadata, the only shapes rasa-webchat
shows as a text message.

With several Rasa processes, the widget's socket is held by one of them while an agent's reply (posted
through Rasa's HTTP API) may be handled by another: socket.io's Redis manager (on REDIS_URL) carries
every emit to the process that holds the room's socket.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
import re
import time
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

import redis
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from socketio import AsyncRedisManager, AsyncServer

from connectors.deliveries import MESSAGE_ID_KEY, Deliveries, claim
from connectors.files import Uploads, photo_words, public_file_url
from connectors.marks import Marks
from connectors.metrics import refused, timed
from helpdesk import keys
from helpdesk.payloads import AGENT_KEY, agent_of
from shop.attachments import (
    ATTACHMENTS_KEY,
    FILE_NAME,
    Refused,
    attachments_of,
    file_store,
    served,
    words_of,
)
from shop.config import load_shop_config
from shop.formats import CONTROL_CHARS, HAS_CJK, MAX_BUYER_TEXT, MAX_CUSTOM_DATA_BYTES, MAX_NAME, MESSAGE_ID
from shop.settings import Settings

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("webchat_static")


@lru_cache(maxsize=1)
def storefront() -> str:
    """The demo shop page, with the name and return window of the shop this process serves (shop.yml)."""
    cfg = load_shop_config(Settings.from_env().shop_config)
    values = {"shop_en": cfg.shop.name.en, "shop_zh": cfg.shop.name.zh, "window_days": cfg.returns.window_days}
    page = (STATIC / "shop.html").read_text(encoding="utf-8")
    return re.sub(r"\{(\w+)\}", lambda m: html.escape(str(values[m.group(1)])), page)


@lru_cache(maxsize=1)
def embed_script() -> str:
    """The one script a shop's page loads (GET /webhooks/webchat/embed.js): widget.js with socket.io's client,
    which gets a CommonJS module of its own (so no global `io` on the shop's page, and none of the page's
    AMD loaders involved), and widget.css for the widget's shadow root."""
    socketio = (STATIC / "socket.io.min.js").read_text(encoding="utf-8")
    css = (STATIC / "widget.css").read_text(encoding="utf-8")
    widget = (STATIC / "widget.js").read_text(encoding="utf-8")
    return (f"(function () {{\nvar module = {{ exports: {{}} }}, exports = module.exports;\n{socketio}\n"
            f"var io = module.exports;\nvar KEFU_CSS = {json.dumps(css)};\n{widget}\n}})();\n")  # fmt: skip


SESSION_RE = re.compile(r"^[0-9a-f]{32}$")  # uuid4().hex, made by the server: a buyer's secret
MESSAGE_ID_RE = re.compile(MESSAGE_ID)
UPLOAD_STATUS = {"empty": 400, "too_large": 413, "bad_type": 415, "not_matching": 415, "too_many": 429,
                 "unknown_file": 400}  # fmt: skip
CUSTOM_DATA_KEY = "custom_data"  # in a user message's metadata: the page's customData, never an identity

# what a client that reads no acks (rasa-webchat) is told instead, in the buyer's language
NOTICES = {
    "bad_text": {
        "en": f"Sorry, that message is too long for me: please send at most {MAX_BUYER_TEXT} characters at a time.",
        "zh": f"抱歉,这条消息太长了:每条请不要超过 {MAX_BUYER_TEXT} 个字。",
    },
    "bad_custom_data": {
        "en": "Sorry, this chat window is misconfigured and your message was not sent. Please try again later.",
        "zh": "抱歉,聊天窗口配置有误,消息没有发出,请稍后再试。",
    },
}


def bot_uttered(message: Dict[Text, Any], public_url: str = "") -> Dict[str, Any]:
    """A bot or agent message as both widgets read it: rasa-webchat shows only {text} or {text, buttons}
    (it drops metadata first), so whatever else kefu's widget needs goes under metadata. An agent's photo is
    also an attachment in rasa-webchat's shape, with the absolute address public_url gives it."""
    payload: Dict[str, Any] = {"text": message.get("text") or ""}
    buttons = [{"title": b.get("title"), "payload": b.get("payload")} for b in message.get("buttons") or []]
    if buttons:
        payload["buttons"] = buttons
    files = attachments_of(message)
    image = next((f for f in files if f["type"].startswith("image/")), None)
    if image and public_url and not payload["text"]:
        payload = {"attachment": {"type": "image", "payload": {"src": public_file_url(public_url, image["file"])}}}
    payload["metadata"] = {
        "agent_name": (message.get(AGENT_KEY) or {}).get("name"),  # only on an agent's message
        "timestamp": message.get("timestamp") or time.time(),
        **({ATTACHMENTS_KEY: files} if files else {}),
    }
    return payload


def custom_data(value: Any) -> Optional[Dict[str, Any]]:
    """The page's customData if it is a small JSON object, else None. It is kept with the message for
    actions and agents to read, and never believed about who the buyer is (shop/trust.py signs that)."""
    if not isinstance(value, dict):
        return None
    try:
        size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        return None
    return value if size <= MAX_CUSTOM_DATA_BYTES else None


async def read_at_most(request: Request, limit: int) -> bytes:
    """A streamed body, cut at limit bytes (a check of the size then refuses it): never a huge one in memory."""
    chunks: List[bytes] = []
    size = 0
    while size < limit:
        chunk = await request.stream.read()
        if chunk is None:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)[:limit]


class WebChatOutput(OutputChannel):
    @classmethod
    def name(cls) -> Text:
        return "webchat"

    def __init__(self, sio: AsyncServer, public_url: str = "") -> None:
        self.sio = sio
        self.public_url = public_url

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        await self.sio.emit("bot_uttered", bot_uttered(message, self.public_url), room=recipient_id)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


class WebChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        settings = Settings.from_env()
        listed = settings.webchat_origins or (credentials or {}).get("cors_allowed_origins") or []
        return cls([str(origin).rstrip("/") for origin in listed], settings)

    def __init__(self, cors_allowed_origins: List[str], settings: Optional[Settings] = None) -> None:
        self.cors_allowed_origins = cors_allowed_origins  # the shop's sites that embed the chat
        self.settings = settings or Settings.from_env()
        self.sio: Optional[AsyncServer] = None
        self.app: Optional[Sanic] = None  # for the tracker store, once the server starts
        self._deliveries: Optional[Deliveries] = None
        self._marks: Optional[Marks] = None
        self._uploads: Optional[Uploads] = None

    def origin_allowed(self, origin: Optional[str], environ: Dict[str, Any]) -> bool:
        """May a page of this origin open the chat? A listed site, or the server's own page (engine.io's own
        check, which a list given to it would replace; and an empty list would switch it off)."""
        if not origin:
            return True  # not a browser's cross-origin request
        if origin.rstrip("/") in self.cors_allowed_origins:
            return True
        host = environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST", "")
        scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme", "http")
        return origin == f"{scheme.split(',')[0].strip()}://{host.split(',')[0].strip()}"

    def get_output_channel(self) -> Optional[OutputChannel]:
        return WebChatOutput(self.sio, self.settings.public_url) if self.sio is not None else None

    def deliveries(self) -> Deliveries:
        if self._deliveries is None:
            self._deliveries = Deliveries.connect(self.name(), settings=self.settings)
        return self._deliveries

    def marks(self) -> Marks:
        if self._marks is None:
            self._marks = Marks(self.deliveries().redis)
        return self._marks

    def uploads(self) -> Uploads:
        if self._uploads is None:
            rules = load_shop_config(self.settings.shop_config).attachments
            self._uploads = Uploads(self.deliveries().redis, file_store(self.settings), rules)
        return self._uploads

    async def first_time(self, session_id: str, message_id: str) -> Optional[str]:
        """The delivery to mark done once the message is answered, or None if it was answered before
        (the widget resent it after a reconnect, or the process that took it died after answering)."""
        delivery = f"{session_id}:{message_id}"
        try:
            found = await claim(self.deliveries(), delivery, self.app.ctx.agent.tracker_store, session_id, message_id)
        except (redis.RedisError, OSError) as exc:
            log.error("webchat deliveries unavailable, taking the message: %s", exc)
            return ""
        return delivery if found.handle else None  # else answered, or still being answered by a live process

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        redis_url = self.settings.redis_url
        manager = AsyncRedisManager(redis_url, channel=keys.WEBCHAT_SOCKETIO) if redis_url else None
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self.origin_allowed, client_manager=manager)
        self.sio = sio
        on_new_message = timed(self.name(), on_new_message)
        bp = SocketBlueprint(sio, "/webhooks/webchat/socket.io", "webchat_webhook", __name__)

        @bp.listener("before_server_start")
        async def keep_app(app: Sanic, _: Any) -> None:
            self.app = app

        @bp.route("/", methods=["GET"])
        async def page(request: Request) -> response.HTTPResponse:
            return response.html(storefront())

        bp.static("/static", str(STATIC))

        @bp.route("/embed.js", methods=["GET"])
        async def embed(request: Request) -> response.HTTPResponse:
            return response.text(embed_script(), content_type="text/javascript; charset=utf-8",
                                 headers={"Cache-Control": "public, max-age=300"})  # fmt: skip

        def cross_origin(request: Request) -> Dict[str, str]:
            """CORS headers for a page on a listed origin (the widget on a shop's own site reads the history)."""
            origin = request.headers.get("origin", "")
            listed = origin and origin in self.cors_allowed_origins
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if listed else {"Vary": "Origin"}

        @bp.route("/history", methods=["GET"])
        async def history(request: Request) -> response.HTTPResponse:
            session_id = request.args.get("session_id", "")
            if not SESSION_RE.match(session_id):
                refused(self.name(), "bad_session")
                return response.json({"error": "bad session_id"}, status=400, headers=cross_origin(request))
            # every session's turns: a buyer who comes back the next day still sees yesterday's chat
            tracker = await request.app.ctx.agent.tracker_store.retrieve_full_tracker(session_id)
            turns = []
            for e in tracker.events if tracker else []:
                data = e.as_dict()
                metadata = data.get("metadata") or {}
                files = attachments_of(metadata)
                if data.get("event") == "user" and data.get("text"):
                    turns.append({"who": "buyer", "text": words_of(data["text"], metadata),
                                  "timestamp": data["timestamp"], "message_id": metadata.get("message_id"),
                                  ATTACHMENTS_KEY: files})  # fmt: skip
                elif data.get("event") == "bot" and (data.get("text") or files):
                    agent = agent_of(data)
                    turns.append({"who": "agent" if agent else "bot", "text": data.get("text") or "",
                                  "agent_name": agent.get("name"), "timestamp": data["timestamp"],
                                  "buttons": (data.get("data") or {}).get("buttons") or [],
                                  ATTACHMENTS_KEY: files})  # fmt: skip
            return response.json({"session_id": session_id, "turns": turns}, headers=cross_origin(request))

        def preflight(request: Request) -> Dict[str, str]:
            """A listed site's browser asks before it POSTs a photo (its Content-Type is not a form's)."""
            headers = cross_origin(request)
            if "Access-Control-Allow-Origin" in headers:
                headers.update({"Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": "Content-Type",
                                "Access-Control-Max-Age": "600"})  # fmt: skip
            return headers

        @bp.route("/upload", methods=["OPTIONS"])
        async def upload_preflight(request: Request) -> response.HTTPResponse:
            return response.empty(headers=preflight(request))

        @bp.middleware("response")
        async def upload_preflight_answered_by_rasa(request: Request, answer: response.HTTPResponse) -> None:
            # Rasa's CORS extension (sanic-cors, automatic_options) answers every OPTIONS itself, before any
            # route, with only the origins of `rasa run --cors`: our listed origins are added to its answer here
            if request.method == "OPTIONS" and request.path.endswith("/upload"):
                answer.headers.update(preflight(request))

        @bp.route("/upload", methods=["POST"], stream=True)
        async def upload(request: Request) -> response.HTTPResponse:
            """A photo from the buyer's widget, kept until the message that names it (user_uttered attachments).
            The body is read as it comes, and no further than one byte past the shop's limit."""
            headers = cross_origin(request)
            session_id, lang = request.args.get("session_id", ""), request.args.get("lang", "en")
            if not SESSION_RE.match(session_id):
                refused(self.name(), "bad_session")
                return response.json({"ok": False, "error": "bad session_id"}, status=400, headers=headers)
            uploads = self.uploads()
            body = await read_at_most(request, uploads.rules.max_bytes + 1)
            try:
                kept = await asyncio.to_thread(uploads.upload, session_id, body,
                                               request.headers.get("content-type", ""),
                                               request.args.get("name", ""))  # fmt: skip
            except Refused as exc:
                refused(self.name(), f"file_{exc.reason}")
                return response.json({"ok": False, "reason": exc.reason, "error": exc.texts.get(lang, str(exc))},
                                     status=UPLOAD_STATUS[exc.reason], headers=headers)  # fmt: skip
            except (redis.RedisError, OSError) as exc:
                log.error("webchat upload not kept: %s", exc)
                return response.json({"ok": False, "error": "try again later"}, status=503, headers=headers)
            return response.json({"ok": True, "file": kept}, headers=headers)

        @bp.route("/files/<name>", methods=["GET"])
        async def kept_file(request: Request, name: str) -> response.HTTPResponse:
            data = await asyncio.to_thread(self.uploads().store.get, name) if FILE_NAME.match(name) else None
            if data is None:
                return response.json({"error": "no such file"}, status=404)
            headers, content_type = served(data, name)
            return response.raw(data, headers=headers, content_type=content_type)

        @bp.route("/typing", methods=["POST"])
        async def typing(request: Request) -> response.HTTPResponse:
            given = request.args.get("token", "")
            token = self.settings.rasa_token  # the helpdesk's calls carry it, as they do to Rasa's API
            if not token or not hmac.compare_digest(given.encode(), token.encode()):
                refused(self.name(), "bad_token")
                return response.json({"error": "a valid token is required"}, status=403)
            body = request.json if isinstance(request.json, dict) else {}
            session_id, name = body.get("session_id"), body.get("agent_name")
            if not isinstance(session_id, str) or not SESSION_RE.match(session_id) or not isinstance(name, str):
                refused(self.name(), "bad_typing")
                return response.json({"error": "session_id and agent_name are required"}, status=400)
            await sio.emit("agent_typing", {"agent_name": name[:MAX_NAME]}, room=session_id)
            return response.json({"ok": True})

        @sio.on("seen")
        async def seen(sid: Text, data: Any) -> Dict[str, Any]:
            """The buyer had the chat in view up to read_up_to (ms): the agent's console says "read"."""
            session_id = data.get("session_id") if isinstance(data, dict) else None
            upto = data.get("read_up_to") if isinstance(data, dict) else None
            if not isinstance(session_id, str) or not SESSION_RE.match(session_id):
                return refuse("bad_session", "ask for a session first")
            if isinstance(upto, bool) or not isinstance(upto, (int, float)) or upto <= 0:
                return refuse("bad_seen", "read_up_to must be a time in milliseconds")
            upto = min(int(upto), int(time.time() * 1000))  # nobody reads what is not written yet
            try:
                await asyncio.to_thread(self.marks().raise_mark, session_id, "read_up_to", upto)
            except (redis.RedisError, OSError) as exc:
                log.error("webchat read marks unavailable: %s", exc)
                return {"ok": False, "error": "try again later"}
            return {"ok": True}

        @sio.on("session_request")
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            wanted = (data or {}).get("session_id")
            session_id = wanted if isinstance(wanted, str) and SESSION_RE.match(wanted) else uuid.uuid4().hex
            await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        def refuse(reason: str, error: str) -> Dict[str, Any]:
            refused(self.name(), reason)
            return {"ok": False, "error": error}

        async def explain(sid: Text, reason: str, text: Any) -> None:
            """Tell a client that reads no acks why its message went nowhere, rather than leave it waiting."""
            lang = "zh" if isinstance(text, str) and HAS_CJK.search(text) else "en"
            await sio.emit("bot_uttered", bot_uttered({"text": NOTICES[reason][lang]}), room=sid)

        @sio.on("user_uttered")
        async def user_uttered(sid: Text, data: Any) -> Dict[str, Any]:
            if not isinstance(data, dict):
                return refuse("not_object", "the message must be an object")
            session_id, text, message_id = data.get("session_id"), data.get("message"), data.get("message_id")
            if not isinstance(session_id, str) or not SESSION_RE.match(session_id):
                return refuse("bad_session", "ask for a session first")
            if message_id is not None and (not isinstance(message_id, str) or not MESSAGE_ID_RE.match(message_id)):
                return refuse("bad_message_id", "message_id must be 1-64 letters, digits, _ or -")
            files = data.get(ATTACHMENTS_KEY)
            if files is not None:  # photos uploaded before: words are optional
                text = "" if text is None else text
                try:
                    files = await asyncio.to_thread(self.uploads().claim, session_id, files)
                except Refused as exc:
                    return refuse("file_unknown", exc.texts["en"])
            if not isinstance(text, str) or not (text.strip() or files) or len(text) > MAX_BUYER_TEXT:
                if message_id is None and isinstance(text, str) and text.strip():  # typed, but too long
                    await explain(sid, "bad_text", text)
                return refuse("bad_text", f"the message must have 1 to {MAX_BUYER_TEXT} characters")
            metadata: Dict[str, Any] = {ATTACHMENTS_KEY: files} if files else {}
            if data.get("customData") not in (None, {}):
                found = custom_data(data["customData"])
                if found is None:
                    if message_id is None:
                        await explain(sid, "bad_custom_data", text)
                    return refuse("bad_custom_data", f"customData must be a JSON object of at most "
                                                     f"{MAX_CUSTOM_DATA_BYTES} bytes")  # fmt: skip
                metadata[CUSTOM_DATA_KEY] = found
            delivery: Optional[str] = ""  # "": no id, so no dedup (Rasa's socketio protocol)
            if message_id is not None:
                delivery = await self.first_time(session_id, message_id)
                if delivery is None:
                    refused(self.name(), "duplicate")  # answered before (a resend), or being answered now
                    return {"ok": True, "duplicate": True}
                metadata[MESSAGE_ID_KEY] = message_id
            text = CONTROL_CHARS.sub("", text).strip() or photo_words(data.get("lang"))
            output = WebChatOutput(sio, self.settings.public_url)
            message = UserMessage(text, output, session_id, input_channel=self.name(), metadata=metadata or None)
            try:
                await on_new_message(message)
            except Exception:
                if delivery:
                    await asyncio.to_thread(self.deliveries().settle, delivery, False)  # the resend is taken again
                raise
            if delivery:
                await asyncio.to_thread(self.deliveries().settle, delivery, True)
            return {"ok": True}

        return bp
