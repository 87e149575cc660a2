"""The helpdesk HTTP API (a sanic blueprint): agents, the queue, and the handoff transitions.

Every Redis and SQL call runs on a worker thread (resources.blocking); refusals are errors.py's.
"""

from __future__ import annotations

import re
from typing import Any, Dict

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from helpdesk.desk import Desk
from helpdesk.payloads import HandoffRecord
from helpdesk.record.models import Handoff, HandoffEvent
from helpdesk.scripts import HandoffError
from helpdesk.web.errors import REFUSALS, ApiError, check_conversation_id, field, json_body
from helpdesk.web.resources import Resources, blocking, hd
from shop import formats

bp = Blueprint("helpdesk")
# Every route with a path parameter says unquote=True: sanic 21.12 otherwise hands it over percent-encoded
# (the console's encodeURIComponent("marketplace:c-1") would arrive as "marketplace%3Ac-1").

AGENT_ID = re.compile(formats.AGENT_ID)


def acting_agent(request: Request, data: Dict[str, Any]) -> str:
    """Who acts: a console user is always themselves; a service caller names the agent."""
    login = getattr(request.ctx, "login", None)
    if login is not None:
        if data.get("agent") not in (None, "", login.agent):
            raise ApiError(403, "not_you", "a console user acts only as themselves")
        return login.agent
    return field(data, "agent", AGENT_ID)


def _supervising(request: Request, data: Dict[str, Any], desk: Desk) -> tuple[str, bool]:
    """The acting agent, and whether they act as a supervisor (only agents whose role is supervisor may)."""
    agent = acting_agent(request, data)
    as_supervisor = data.get("as_supervisor") is True
    if as_supervisor and desk.agents.get(agent).get("role") != "supervisor":
        raise ApiError(403, "not_supervisor", "only a supervisor may act on another agent's conversation")
    return agent, as_supervisor


def _same_agent(request: Request, agent_id: str) -> None:
    login = getattr(request.ctx, "login", None)
    if login is not None and login.agent != agent_id:
        raise ApiError(403, "not_you", "a console user changes only their own status")


# -- reads ---------------------------------------------------------------------------------
@bp.get("/health")
async def health(request: Request) -> HTTPResponse:
    await blocking(hd(request).desk.redis.ping)
    return json({"status": "ok"})


def _waiting_list(desk: Desk) -> Dict[str, Any]:
    now = desk.clock()
    waiting = []
    for position, cid in enumerate(desk.queue.waiting(), start=1):
        h = desk.queue.get(cid)
        waited = round(now - float(h.get("created_at") or now))
        waiting.append(
            {
                "conversation_id": cid,
                "position": position,
                "waiting_s": waited,
                "priority": int(h.get("priority") or 0),
                "vip": h.get("vip") == "1",
                "category": h.get("category", ""),
                "language": h.get("language", ""),
                "channel": h.get("channel", ""),
                "group": h.get("group", ""),
                "summary": h.get("summary", ""),
            }  # fmt: skip
        )
    return {"waiting": waiting, "agents": desk.agents.all()}


@bp.get("/queue")
async def waiting_list(request: Request) -> HTTPResponse:
    return json(await blocking(_waiting_list, hd(request).desk))


@bp.get("/agents")
async def agents(request: Request) -> HTTPResponse:
    return json({"agents": await blocking(hd(request).desk.agents.all)})


@bp.get("/agents/<agent_id>", unquote=True)
async def agent(request: Request, agent_id: str) -> HTTPResponse:
    profile = await blocking(hd(request).desk.agents.get, agent_id) if AGENT_ID.match(agent_id) else {}
    if not profile:
        raise ApiError(404, "unknown_agent", REFUSALS["unknown_agent"][1])
    return json(profile)


def _conversation(res: Resources, cid: str) -> Dict[str, Any]:
    live = res.desk.queue.get(cid)
    with res.record() as session:
        rows = session.query(Handoff).filter(Handoff.conversation_id == cid).order_by(Handoff.created_at)
        history = []
        for h in rows:
            events = session.query(HandoffEvent).filter(HandoffEvent.handoff_id == h.id).order_by(HandoffEvent.id)
            history.append(
                {
                    "handoff_id": h.id,
                    "state": h.state,
                    "agent": h.agent,
                    "category": h.category,
                    "priority": h.priority,
                    "created_at": h.created_at,
                    "first_reply_at": h.first_reply_at,
                    "resolved_at": h.resolved_at,
                    "rating": h.rating,
                    "events": [{"kind": e.kind, "agent": e.agent, "at": e.at} for e in events],
                }  # fmt: skip
            )
    if not live and not history:
        raise ApiError(404, "not_found", REFUSALS["not_found"][1])
    return {"live": live, "position": res.desk.queue.position(cid), "handoffs": history}


@bp.get("/conversations/<conversation_id>", unquote=True)
async def conversation(request: Request, conversation_id: str) -> HTTPResponse:
    return json(await blocking(_conversation, hd(request), check_conversation_id(conversation_id)))


# -- transitions ---------------------------------------------------------------------------
@bp.post("/handoffs")
async def enqueue(request: Request) -> HTTPResponse:
    """Queue a conversation from outside the bot (another channel's bot, a web form)."""
    data, desk = json_body(request), hd(request).desk
    priority = data.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool) or not -100 <= priority <= 100:
        raise ApiError(400, "bad_field", "'priority' must be an integer from -100 to 100")
    language = data.get("language", "en")
    if language not in ("en", "zh"):
        raise ApiError(400, "bad_field", "'language' must be en or zh")
    label = formats.MAX_LABEL
    record: HandoffRecord = {
        "conversation_id": check_conversation_id(field(data, "conversation_id")),
        "channel": field(data, "channel", required=False)[:label],
        "customer": field(data, "customer", required=False)[:80],
        "language": language,
        "category": field(data, "category", required=False)[:label] or "human",
        "priority": priority,
        "vip": data.get("vip") is True,
        "reason": field(data, "reason", required=False)[:label] or "requested",
        "order_number": field(data, "order_number", required=False)[:label] or None,
        "summary": field(data, "summary", required=False)[: formats.MAX_AGENT_TEXT],
        "created_at": desk.clock(),
    }
    placement = await blocking(desk.queue.enqueue, record)
    return json(placement.__dict__, status=201 if placement.queued else 200)


@bp.post("/conversations/<conversation_id>/claim", unquote=True)
async def claim(request: Request, conversation_id: str) -> HTTPResponse:
    cid, data = check_conversation_id(conversation_id), json_body(request)
    agent_id = acting_agent(request, data)
    await blocking(hd(request).desk.queue.claim, cid, agent_id)
    return json({"conversation_id": cid, "agent": agent_id})


def _reply(res: Resources, cid: str, agent_id: str, text: str) -> None:
    """The owner's message goes into the Rasa transcript first; then the reply timers stop."""
    desk = res.desk
    live = desk.queue.get(cid)
    if not live:
        raise HandoffError("not_found")
    if live.get("state") != "assigned" or live.get("agent") != agent_id:
        raise HandoffError("not_yours" if live.get("state") == "assigned" else "not_assigned", live.get("agent", ""))
    name = str(desk.agents.get(agent_id).get("name") or agent_id)
    res.rasa.post_agent_message(cid, agent_id, name, text)
    desk.queue.reply(cid, agent_id)


@bp.post("/conversations/<conversation_id>/reply", unquote=True)
async def reply(request: Request, conversation_id: str) -> HTTPResponse:
    cid, data = check_conversation_id(conversation_id), json_body(request)
    agent_id = acting_agent(request, data)
    text = field(data, "text").strip()
    if not text or len(text) > formats.MAX_AGENT_TEXT:
        raise ApiError(400, "bad_text", f"'text' must have 1 to {formats.MAX_AGENT_TEXT} characters")
    await blocking(_reply, hd(request), cid, agent_id, text)
    return json({"conversation_id": cid, "agent": agent_id, "delivered_to_transcript": True})


@bp.post("/conversations/<conversation_id>/transfer", unquote=True)
async def transfer(request: Request, conversation_id: str) -> HTTPResponse:
    cid, data, desk = check_conversation_id(conversation_id), json_body(request), hd(request).desk
    by, as_supervisor = await blocking(_supervising, request, data, desk)
    to_agent = field(data, "to_agent", AGENT_ID, required=False)
    to_group = field(data, "to_group", required=False)[: formats.MAX_LABEL]
    owner = await blocking(desk.queue.transfer, cid, by, to_agent, to_group, as_supervisor)
    return json({"conversation_id": cid, "agent": owner, "state": "assigned" if owner else "waiting"})


@bp.post("/conversations/<conversation_id>/resolve", unquote=True)
async def resolve(request: Request, conversation_id: str) -> HTTPResponse:
    """Close the handoff; the bot resumes at once if Rasa answers, else the sweeper keeps trying."""
    cid, data, res = check_conversation_id(conversation_id), json_body(request), hd(request)
    by, as_supervisor = await blocking(_supervising, request, data, res.desk)
    owner = await blocking(res.desk.queue.resolve, cid, by, as_supervisor)
    resumed = await blocking(res.sweeper.resume_now, cid)
    return json({"conversation_id": cid, "agent": owner, "bot_resumed": resumed})


@bp.post("/agents/<agent_id>/status", unquote=True)
async def status(request: Request, agent_id: str) -> HTTPResponse:
    data = json_body(request)
    _same_agent(request, agent_id)
    returned = await blocking(hd(request).desk.agents.set_status, agent_id, field(data, "status"))
    return json({"agent": agent_id, "status": data["status"], "returned_to_queue": returned})


@bp.post("/agents/<agent_id>/heartbeat", unquote=True)
async def heartbeat(request: Request, agent_id: str) -> HTTPResponse:
    _same_agent(request, agent_id)
    return json({"agent": agent_id, "status": await blocking(hd(request).desk.agents.heartbeat, agent_id)})
