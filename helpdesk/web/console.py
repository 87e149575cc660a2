"""What the agent console needs beyond the queue API: login, the transcript, the customer panel,
notes, quick replies, and live updates over a websocket (Redis pub/sub fed by the Lua scripts).

Path parameters are checked before a handler runs and bodies as it reads them (validation.py)."""

from __future__ import annotations

import base64
import binascii
import json as jsonlib
import re
import time
from typing import Any, Dict, List, Optional

import redis.asyncio as aioredis
from sanic import Blueprint, Request
from sanic.compat import Header
from sanic.response import HTTPResponse, file, json
from sqlalchemy import or_, select

from helpdesk import keys
from helpdesk.payloads import agent_of
from helpdesk.record import accounts
from helpdesk.record.models import ConversationNote, Handoff, PersonalQuickReply
from helpdesk.training.inbox import flags_of
from helpdesk.web import logins
from helpdesk.web import request_models as ask
from helpdesk.web.errors import ApiError
from helpdesk.web.fields import STATIC
from helpdesk.web.resources import Resources, blocking, hd
from helpdesk.web.validation import read_body
from shop.attachments import attachments_of, words_of
from shop.store import CustomerView, StoreUnavailable

bp = Blueprint("console")
# Every route with a path parameter says unquote=True: sanic 21.12 otherwise hands it over percent-encoded
# (the console's encodeURIComponent("marketplace:c-1") would arrive as "marketplace%3Ac-1").


def login_of(request: Request) -> logins.ConsoleLogin:
    login = getattr(request.ctx, "login", None)
    if login is None:
        raise ApiError("login_required")
    return login


# -- pages ---------------------------------------------------------------------------------
@bp.get("/console")
async def console_page(request: Request) -> HTTPResponse:
    return await file(STATIC / "index.html", headers=_page_headers())


def _page_headers() -> Dict[str, str]:
    # everything the page loads comes from here; no inline script, so injected HTML could not run
    return {
        "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        "frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


# -- login ---------------------------------------------------------------------------------
def profile_of(res: Resources, agent_id: str) -> Dict[str, Any]:
    """A console user's profile: an agent's from the live desk, a trainer's from shop.yml (trainers take no chats,
    so the desk does not hold them); {} for no one."""
    trainer = next((a for a in res.cfg.helpdesk.agents if a.id == agent_id and a.role == "trainer"), None)
    return {"name": trainer.name, "role": trainer.role} if trainer else res.desk.agents.get(agent_id)


def _login(res: Resources, agent_id: str, password: str) -> Optional[logins.ConsoleLogin]:
    """A new login, or None for a wrong agent or password."""
    profile = profile_of(res, agent_id)
    with res.record() as session:
        verified = accounts.verify(session, agent_id, password)
    if not verified or not profile:
        return None
    return logins.start(res.desk.redis, agent_id, str(profile.get("role") or "agent"))


@bp.post("/auth/login")
async def login(request: Request) -> HTTPResponse:
    res = hd(request)
    remote = request.remote_addr or request.ip or "?"
    if not await blocking(logins.login_allowed, res.desk.redis, remote):
        raise ApiError("too_many_attempts")
    body = read_body(request, ask.Login)
    agent_id = body.agent
    s = await blocking(_login, res, agent_id, body.password)
    if s is None:
        await blocking(logins.login_failed, res.desk.redis, remote)
        raise ApiError("bad_login")
    name = (await blocking(profile_of, res, agent_id)).get("name")
    response = json({"agent": agent_id, "name": name, "role": s.role, "csrf": s.csrf})
    response.cookies[logins.COOKIE] = s.token
    cookie = response.cookies[logins.COOKIE]
    cookie["httponly"], cookie["samesite"], cookie["path"] = True, "Strict", "/"
    cookie["secure"] = True  # browsers accept it on http://localhost and 127.0.0.1 too
    cookie["max-age"] = logins.TTL_S
    return response


@bp.post("/auth/logout")
async def logout(request: Request) -> HTTPResponse:
    s = login_of(request)
    await blocking(logins.end, hd(request).desk.redis, s.token)
    response = json({"logged_out": True})
    del response.cookies[logins.COOKIE]
    return response


@bp.get("/auth/me")
async def me(request: Request) -> HTTPResponse:
    s = login_of(request)
    profile = await blocking(profile_of, hd(request), s.agent)
    return json({"agent": s.agent, "name": profile.get("name"), "role": s.role, "csrf": s.csrf})


# -- the conversation ----------------------------------------------------------------------
def _transcript(res: Resources, cid: str) -> Dict[str, Any]:
    """Every turn from the Rasa tracker: the buyer, the bot, and the agents (bot turns with metadata.kefu_agent);
    the messages the buyer's channel finally failed to deliver (newest first), and what a channel that reports
    it knows of the buyer's side (a marketplace: read_up_to, closed_at, last_message_at, in ms). A buyer turn says
    what the bot made of it, and the intent an agent flagged it with (helpdesk/training/)."""
    tracker = res.rasa.tracker(cid)
    flagged = flags_of(res.record, cid)
    turns: List[Dict[str, Any]] = []
    for e in tracker.get("events") or []:
        files = attachments_of(e.get("metadata"))
        if e.get("event") == "user" and e.get("text"):
            guess = (e.get("parse_data") or {}).get("intent") or {}
            at = e.get("timestamp")
            turns.append({"who": "buyer", "text": words_of(e["text"], e.get("metadata")), "at": at,
                          "intent": guess.get("name"), "confidence": guess.get("confidence"),
                          "flagged": flagged.get(at), "attachments": files})  # fmt: skip
        elif e.get("event") == "bot" and (e.get("text") or files):
            agent = agent_of(e)
            turns.append({"who": "agent" if agent else "bot", "agent": agent.get("id"), "text": e.get("text") or "",
                          "at": e.get("timestamp"), "attachments": files})  # fmt: skip
    r = res.desk.redis
    failures = [jsonlib.loads(raw) for raw in r.lrange(keys.delivery_failed(cid), 0, 49)]
    channel_state = r.hgetall(keys.channel_conversation(cid))
    return {"conversation_id": cid, "turns": turns, "paused": tracker.get("paused", False),
            "delivery_failures": failures, "channel_state": channel_state}  # fmt: skip


@bp.get("/conversations/<conversation_id>/transcript", unquote=True)
async def transcript(request: Request, conversation_id: str) -> HTTPResponse:
    return json(await blocking(_transcript, hd(request), conversation_id))


def _buyer(res: Resources, live: Dict[str, str]) -> Optional[CustomerView]:
    """The buyer of a handoff, if known: verified by the channel, or owner of the order they proved."""
    repo = res.shop
    customer = repo.customer_by_channel_id(live["customer"]) if live.get("customer") else None
    if customer is None and live.get("order_number"):
        order = repo.find_order(live["order_number"])
        if order is not None:
            customer = CustomerView(order.customer_name, order.customer_email, order.customer_phone,
                                    order.customer_vip, order.customer_channel_id)  # fmt: skip
    return customer


def _customer_panel(res: Resources, cid: str) -> Dict[str, Any]:
    live = res.desk.queue.get(cid)
    try:
        customer = _buyer(res, live)
        orders = res.shop.orders_of(customer.email) if customer else []
    except StoreUnavailable as exc:  # the panel says so; the chat itself goes on
        customer, orders, store_error = None, [], str(exc)
    else:
        store_error = None
    with res.record() as session:  # this chat's handoffs, and the same verified buyer's other chats
        mine = Handoff.conversation_id == cid
        same_buyer = or_(mine, Handoff.customer == live["customer"]) if live.get("customer") else mine
        past = session.scalars(select(Handoff).where(same_buyer).order_by(Handoff.created_at.desc()).limit(20))
        history = [{"conversation_id": h.conversation_id, "handoff_id": h.id, "category": h.category,
                    "state": h.state, "agent": h.agent, "created_at": h.created_at, "rating": h.rating}
                   for h in past]  # fmt: skip
    if customer is None:
        return {"known": False, "vip": live.get("vip") == "1", "orders": [], "handoffs": history,
                "store_error": store_error}  # fmt: skip
    return {"known": True, "name": customer.name, "email": customer.email, "phone": customer.phone,
            "vip": bool(customer.vip), "orders": orders, "handoffs": history}  # fmt: skip


@bp.get("/conversations/<conversation_id>/customer", unquote=True)
async def customer(request: Request, conversation_id: str) -> HTTPResponse:
    return json(await blocking(_customer_panel, hd(request), conversation_id))


# -- internal notes ------------------------------------------------------------------------
def _notes(res: Resources, cid: str) -> List[Dict[str, Any]]:
    with res.record() as session:
        rows = session.scalars(
            select(ConversationNote).where(ConversationNote.conversation_id == cid).order_by(ConversationNote.id)
        )
        return [{"agent": n.agent_id, "text": n.text, "at": n.at} for n in rows]


@bp.get("/conversations/<conversation_id>/notes", unquote=True)
async def notes(request: Request, conversation_id: str) -> HTTPResponse:
    login_of(request)
    return json({"notes": await blocking(_notes, hd(request), conversation_id)})


def _add_note(res: Resources, note: ConversationNote) -> None:
    with res.record.begin() as session:
        session.add(note)


@bp.post("/conversations/<conversation_id>/notes", unquote=True)
async def add_note(request: Request, conversation_id: str) -> HTTPResponse:
    s = login_of(request)
    text, at = read_body(request, ask.Note).text.strip(), time.time()
    note = ConversationNote(conversation_id=conversation_id, agent_id=s.agent, text=text, at=at)
    await blocking(_add_note, hd(request), note)
    return json({"agent": s.agent, "text": text, "at": at}, status=201)


# -- quick replies -------------------------------------------------------------------------
def _library(res: Resources, agent_id: str) -> List[Dict[str, str]]:
    public = [{"shortcut": r.shortcut, "en": r.en, "zh": r.zh, "personal": False}
              for r in res.cfg.quick_replies]  # fmt: skip
    with res.record() as session:
        mine = session.scalars(select(PersonalQuickReply).where(PersonalQuickReply.agent_id == agent_id))
        personal = [{"shortcut": r.shortcut, "en": r.en, "zh": r.zh, "personal": True} for r in mine]
    taken = {r["shortcut"] for r in personal}
    return personal + [r for r in public if r["shortcut"] not in taken]  # an agent's own wins


@bp.get("/quick-replies")
async def quick_replies(request: Request) -> HTTPResponse:
    return json({"quick_replies": await blocking(_library, hd(request), login_of(request).agent)})


def _save_quick_reply(res: Resources, reply: PersonalQuickReply) -> None:
    with res.record.begin() as session:
        session.merge(reply)


@bp.post("/quick-replies")
async def save_quick_reply(request: Request) -> HTTPResponse:
    s = login_of(request)
    body = read_body(request, ask.OwnQuickReply)
    shortcut, en, zh = body.shortcut, body.en or "", body.zh or ""
    reply = PersonalQuickReply(agent_id=s.agent, shortcut=shortcut, en=en or zh, zh=zh or en)
    await blocking(_save_quick_reply, hd(request), reply)
    return json({"shortcut": shortcut, "en": en or zh, "zh": zh or en, "personal": True})


def _delete_quick_reply(res: Resources, agent_id: str, shortcut: str) -> bool:
    with res.record.begin() as session:
        row = session.get(PersonalQuickReply, (agent_id, shortcut))
        if row is not None:
            session.delete(row)
        return row is not None


@bp.delete("/quick-replies/<shortcut>", unquote=True)
async def delete_quick_reply(request: Request, shortcut: str) -> HTTPResponse:
    s = login_of(request)
    if not await blocking(_delete_quick_reply, hd(request), s.agent, shortcut):
        raise ApiError("not_found", "no personal quick reply with that shortcut")
    return json({"deleted": shortcut})


def fill(template: str, values: Dict[str, str]) -> str:
    """Replace {name}, {order_no}, {tracking_no}, {agent}; anything else stays as written."""
    return re.sub(r"\{(name|order_no|tracking_no|agent)\}", lambda m: values.get(m.group(1)) or "", template)


def _quick_reply_text(res: Resources, cid: str, agent_id: str, shortcut: str) -> Dict[str, str]:
    library = {r["shortcut"]: r for r in _library(res, agent_id)}
    if shortcut not in library:
        raise ApiError("unknown_shortcut", f"no quick reply /{shortcut}")
    live = res.desk.queue.get(cid)
    number = live.get("order_number") or ""
    try:
        order = res.shop.find_order(number) if number else None
        buyer = _buyer(res, live)
    except StoreUnavailable:  # the reply is still filled, with what the shop's data would have added left out
        order, buyer = None, None
    tracking = (order.tracking_no if order else None) or ""
    lang = "zh" if live.get("language") == "zh" else "en"
    agent_name = str(res.desk.agents.get(agent_id).get("name") or agent_id)
    values = {"name": buyer.name if buyer else res.cfg.quick_reply_name_unknown(lang), "order_no": number,
              "tracking_no": tracking, "agent": agent_name}  # fmt: skip
    return {"shortcut": shortcut, "language": lang, "text": fill(library[shortcut][lang], values).strip()}


@bp.post("/conversations/<conversation_id>/quick-reply", unquote=True)
async def quick_reply_text(request: Request, conversation_id: str) -> HTTPResponse:
    """The quick reply, in the buyer's language, with the conversation's values filled in."""
    s = login_of(request)
    shortcut = read_body(request, ask.QuickReplyChoice).shortcut
    return json(await blocking(_quick_reply_text, hd(request), conversation_id, s.agent, shortcut))


# -- live updates --------------------------------------------------------------------------
def _subscriber(res: Resources) -> aioredis.Redis:
    """An asyncio client to the same Redis as the app's own (its URL, or the embedded server's socket)."""
    if res.settings.redis_url:
        return aioredis.Redis.from_url(res.settings.redis_url, decode_responses=True)
    kwargs = res.desk.redis.connection_pool.connection_kwargs
    return aioredis.Redis(unix_socket_path=kwargs["path"], decode_responses=True)


@bp.on_request
async def websocket_preflight(request: Request) -> Optional[HTTPResponse]:
    """/live takes a console login and a websocket handshake, checked before sanic's own handshake (which
    answers a plain GET with a 500, and a handler that refuses only after it with a closed socket)."""
    if not request.route.ctx.websocket:
        return None
    if request.ctx.login is None:
        return ApiError("login_required").response()
    if not _handshake(request.headers):
        return ApiError("upgrade_required", headers={"Upgrade": "websocket", "Sec-WebSocket-Version": "13"}).response()
    return None


def _handshake(headers: Header) -> bool:
    """A websocket opening handshake (RFC 6455 4.2.1), as the websockets library will accept it."""
    try:
        key = base64.b64decode(headers.get("sec-websocket-key", ""), validate=True)
    except binascii.Error:
        return False
    upgrade = headers.get("upgrade", "").lower() == "websocket"
    connection = "upgrade" in (token.strip().lower() for token in headers.get("connection", "").split(","))
    return upgrade and connection and len(key) == 16 and headers.get("sec-websocket-version") == "13"


@bp.websocket("/live")
async def live(request: Request, ws) -> None:
    """Every handoff event as it happens (the console re-reads what it shows); websocket_preflight let in only
    a console login."""
    client = _subscriber(hd(request))
    pubsub = client.pubsub()
    await pubsub.subscribe(keys.LIVE)
    try:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=20)
            if message is not None:
                await ws.send(message["data"])
            else:
                await ws.send(jsonlib.dumps({"kind": "ping"}))
    finally:
        await pubsub.unsubscribe(keys.LIVE)
        await client.close()
