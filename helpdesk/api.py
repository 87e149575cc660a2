"""The helpdesk HTTP API (a sanic blueprint): agents, the queue, and the handoff transitions.

Every refusal is JSON {"error": code, "reason": text} with a 4xx; Redis or Rasa being down is a 503/502.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Dict

import redis
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from helpdesk import services
from helpdesk.queue import HandoffError, HandoffQueue, Placement
from helpdesk.rasa_client import RasaUnavailable
from helpdesk.records import HandoffRecord
from helpdesk.store import Handoff, HandoffEvent

bp = Blueprint("helpdesk")
# Every route with a path parameter says unquote=True: sanic 21.12 otherwise hands it over percent-encoded
# (the console's encodeURIComponent("marketplace:c-1") would arrive as "marketplace%3Ac-1").

CONVERSATION_ID = re.compile(r"^[^\s/\x00-\x1f]{1,255}$")
AGENT_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
MAX_TEXT = 4000

# code -> (HTTP status, what to tell the caller)
REFUSALS: Dict[str, tuple[int, str]] = {
    "not_found": (404, "no handoff for this conversation"),
    "unknown_agent": (404, "no such agent"),
    "unknown_group": (404, "no agent is in that group"),
    "not_yours": (409, "the conversation is assigned to another agent"),
    "not_waiting": (409, "the conversation is not waiting (already assigned or resolved)"),
    "not_assigned": (409, "the conversation is not assigned to anyone; claim it first"),
    "already_resolved": (409, "the conversation is already resolved"),
    "agent_full": (409, "the agent has no free capacity"),
    "agent_not_online": (409, "the agent is not online"),
    "same_agent": (409, "the conversation is already with that agent"),
    "offline": (409, "the agent is offline; set the status to online first"),
    "not_resolved": (409, "only a resolved handoff can be rated"),
    "already_rated": (409, "this handoff is already rated"),
    "need_agent_or_group": (400, "give exactly one of to_agent and to_group"),
    "bad_status": (400, "status must be online, away or offline"),
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.code, self.reason = status, code, reason


def refusal(exc: HandoffError) -> HTTPResponse:
    status, reason = REFUSALS.get(exc.code, (409, exc.code))
    body = {"error": exc.code, "reason": reason}
    if exc.owner:
        body["owner"] = exc.owner
    return json(body, status=status)


def json_body(request: Request) -> Dict[str, Any]:
    try:
        data = request.json
    except Exception as exc:
        raise ApiError(400, "bad_json", "the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "bad_body", "the body must be a JSON object")
    return data


def field(data: Dict[str, Any], name: str, pattern: re.Pattern | None = None, required: bool = True) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(400, "missing_field", f"'{name}' is required")
        return ""
    if not isinstance(value, str):
        raise ApiError(400, "bad_field", f"'{name}' must be a string")
    if pattern is not None and not pattern.match(value):
        raise ApiError(400, "bad_field", f"'{name}' has an invalid format")
    return value


def check_conversation_id(cid: str) -> str:
    if not CONVERSATION_ID.match(cid):
        raise ApiError(400, "bad_conversation_id", "invalid conversation id")
    return cid


def _agent(request: Request, data: Dict[str, Any]) -> str:
    """Who acts: a console user is always themselves; a service caller names the agent."""
    session = getattr(request.ctx, "session", None)
    if session is not None:
        if data.get("agent") not in (None, "", session.agent):
            raise ApiError(403, "not_you", "a console user acts only as themselves")
        return session.agent
    return field(data, "agent", AGENT_ID)


def _acting(request: Request, data: Dict[str, Any], q: HandoffQueue) -> tuple[str, bool]:
    """The acting agent, and whether they act as a supervisor (only agents whose role is supervisor may)."""
    agent = _agent(request, data)
    as_supervisor = data.get("as_supervisor") is True
    if as_supervisor and q.agent(agent).get("role") != "supervisor":
        raise ApiError(403, "not_supervisor", "only a supervisor may act on another agent's conversation")
    return agent, as_supervisor


def _same_agent(request: Request, agent_id: str) -> None:
    session = getattr(request.ctx, "session", None)
    if session is not None and session.agent != agent_id:
        raise ApiError(403, "not_you", "a console user changes only their own status")


# -- reads ---------------------------------------------------------------------------------
@bp.get("/health")
async def health(request: Request) -> HTTPResponse:
    services.queue().redis.ping()
    return json({"status": "ok"})


@bp.get("/queue")
async def waiting_list(request: Request) -> HTTPResponse:
    q = services.queue()
    now = q.clock()
    waiting = []
    for position, cid in enumerate(q.waiting(), start=1):
        h = q.get(cid)
        waited = round(now - float(h.get("created_at") or now))
        waiting.append(
            {
                "conversation_id": cid, "position": position, "waiting_s": waited,
                "priority": int(h.get("priority") or 0), "vip": h.get("vip") == "1", "category": h.get("category", ""),
                "language": h.get("language", ""), "channel": h.get("channel", ""), "group": h.get("group", ""),
                "summary": h.get("summary", ""),
            }  # fmt: skip
        )
    return json({"waiting": waiting, "agents": q.agents()})


@bp.get("/agents")
async def agents(request: Request) -> HTTPResponse:
    return json({"agents": services.queue().agents()})


@bp.get("/agents/<agent_id>", unquote=True)
async def agent(request: Request, agent_id: str) -> HTTPResponse:
    profile = services.queue().agent(agent_id) if AGENT_ID.match(agent_id) else {}
    if not profile:
        raise ApiError(404, "unknown_agent", REFUSALS["unknown_agent"][1])
    return json(profile)


def _history(conversation_id: str) -> list[dict]:
    with services.sessions()() as session:
        rows = session.query(Handoff).filter(Handoff.conversation_id == conversation_id).order_by(Handoff.created_at)
        out = []
        for h in rows:
            events = session.query(HandoffEvent).filter(HandoffEvent.handoff_id == h.id).order_by(HandoffEvent.id)
            out.append(
                {
                    "handoff_id": h.id, "state": h.state, "agent": h.agent, "category": h.category,
                    "priority": h.priority, "created_at": h.created_at, "first_reply_at": h.first_reply_at,
                    "resolved_at": h.resolved_at, "rating": h.rating,
                    "events": [{"kind": e.kind, "agent": e.agent, "at": e.at} for e in events],
                }  # fmt: skip
            )
        return out


@bp.get("/conversations/<conversation_id>", unquote=True)
async def conversation(request: Request, conversation_id: str) -> HTTPResponse:
    cid = check_conversation_id(conversation_id)
    live = services.queue().get(cid)
    history = await asyncio.to_thread(_history, cid)
    if not live and not history:
        raise ApiError(404, "not_found", REFUSALS["not_found"][1])
    return json({"live": live, "position": services.queue().position(cid), "handoffs": history})


# -- transitions ---------------------------------------------------------------------------
@bp.post("/handoffs")
async def enqueue(request: Request) -> HTTPResponse:
    """Queue a conversation from outside the bot (another channel's bot, a web form)."""
    data = json_body(request)
    priority = data.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool) or not -100 <= priority <= 100:
        raise ApiError(400, "bad_field", "'priority' must be an integer from -100 to 100")
    language = data.get("language", "en")
    if language not in ("en", "zh"):
        raise ApiError(400, "bad_field", "'language' must be en or zh")
    record: HandoffRecord = {
        "conversation_id": check_conversation_id(field(data, "conversation_id")),
        "channel": field(data, "channel", required=False)[:40],
        "customer": field(data, "customer", required=False)[:80],
        "language": language,
        "category": field(data, "category", required=False)[:40] or "human",
        "priority": priority,
        "vip": data.get("vip") is True,
        "reason": field(data, "reason", required=False)[:40] or "requested",
        "order_number": field(data, "order_number", required=False)[:40] or None,
        "summary": field(data, "summary", required=False)[:MAX_TEXT],
        "created_at": services.queue().clock(),
    }
    placement: Placement = services.queue().enqueue(record)
    return json(placement.__dict__, status=201 if placement.queued else 200)


@bp.post("/conversations/<conversation_id>/claim", unquote=True)
async def claim(request: Request, conversation_id: str) -> HTTPResponse:
    cid, data = check_conversation_id(conversation_id), json_body(request)
    agent_id = _agent(request, data)
    services.queue().claim(cid, agent_id)
    return json({"conversation_id": cid, "agent": agent_id})


@bp.post("/conversations/<conversation_id>/reply", unquote=True)
async def reply(request: Request, conversation_id: str) -> HTTPResponse:
    """The owner's message goes into the Rasa transcript first; then the reply timers stop."""
    cid, data = check_conversation_id(conversation_id), json_body(request)
    agent_id = _agent(request, data)
    text = field(data, "text").strip()
    if not text or len(text) > MAX_TEXT:
        raise ApiError(400, "bad_text", f"'text' must have 1 to {MAX_TEXT} characters")
    q = services.queue()
    live = q.get(cid)
    if not live:
        raise HandoffError("not_found")
    if live.get("state") != "assigned" or live.get("agent") != agent_id:
        raise HandoffError("not_yours" if live.get("state") == "assigned" else "not_assigned", live.get("agent", ""))
    name = str(q.agent(agent_id).get("name") or agent_id)
    await asyncio.to_thread(services.rasa().post_agent_message, cid, agent_id, name, text)
    q.reply(cid, agent_id)
    return json({"conversation_id": cid, "agent": agent_id, "delivered_to_transcript": True})


@bp.post("/conversations/<conversation_id>/transfer", unquote=True)
async def transfer(request: Request, conversation_id: str) -> HTTPResponse:
    cid, data = check_conversation_id(conversation_id), json_body(request)
    q = services.queue()
    by, as_supervisor = _acting(request, data, q)
    to_agent = field(data, "to_agent", AGENT_ID, required=False)
    to_group = field(data, "to_group", required=False)[:40]
    owner = q.transfer(cid, by, to_agent=to_agent, to_group=to_group, force=as_supervisor)
    return json({"conversation_id": cid, "agent": owner, "state": "assigned" if owner else "waiting"})


@bp.post("/conversations/<conversation_id>/resolve", unquote=True)
async def resolve(request: Request, conversation_id: str) -> HTTPResponse:
    """Close the handoff; the bot resumes at once if Rasa answers, else the sweeper keeps trying."""
    cid, data = check_conversation_id(conversation_id), json_body(request)
    q = services.queue()
    by, as_supervisor = _acting(request, data, q)
    owner = q.resolve(cid, by, force=as_supervisor)
    resumed = await asyncio.to_thread(request.app.ctx.sweeper.resume_now, cid)
    return json({"conversation_id": cid, "agent": owner, "bot_resumed": resumed})


@bp.post("/agents/<agent_id>/status", unquote=True)
async def status(request: Request, agent_id: str) -> HTTPResponse:
    data = json_body(request)
    _same_agent(request, agent_id)
    returned = services.queue().set_status(agent_id, field(data, "status"))
    return json({"agent": agent_id, "status": data["status"], "returned_to_queue": returned})


@bp.post("/agents/<agent_id>/heartbeat", unquote=True)
async def heartbeat(request: Request, agent_id: str) -> HTTPResponse:
    _same_agent(request, agent_id)
    return json({"agent": agent_id, "status": services.queue().heartbeat(agent_id)})


def install_error_handlers(app) -> None:
    @app.exception(ApiError)
    async def api_error(request: Request, exc: ApiError) -> HTTPResponse:
        return json({"error": exc.code, "reason": exc.reason}, status=exc.status)

    @app.exception(HandoffError)
    async def handoff_error(request: Request, exc: HandoffError) -> HTTPResponse:
        return refusal(exc)

    @app.exception(redis.RedisError, ConnectionError)
    async def redis_down(request: Request, exc: Exception) -> HTTPResponse:
        return json({"error": "queue_unavailable", "reason": "the live queue (Redis) is unreachable; retry"}, 503)

    @app.exception(RasaUnavailable)
    async def rasa_down(request: Request, exc: RasaUnavailable) -> HTTPResponse:
        return json({"error": "rasa_unavailable", "reason": "the bot server did not take the message; retry"}, 502)
