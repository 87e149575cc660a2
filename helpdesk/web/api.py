"""The helpdesk HTTP API (a sanic blueprint): agents, the queue, and the handoff transitions.

Every Redis and SQL call runs on a worker thread (resources.blocking); refusals are errors.py's. Path parameters
are checked before a handler runs and bodies as it reads them (validation.py), against the models of the spec.
"""

from __future__ import annotations

from typing import Any, Dict, List

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from helpdesk import keys, quality
from helpdesk.desk import Desk
from helpdesk.inbox import FILTERS, MAX_PER_PAGE, VIEWS, InboxQuery
from helpdesk.inbox import inbox as read_inbox
from helpdesk.payloads import HandoffRecord
from helpdesk.record.models import Handoff, HandoffEvent
from helpdesk.scripts import HandoffError
from helpdesk.web import request_models as ask
from helpdesk.web.errors import ApiError
from helpdesk.web.quality_api import record_findings
from helpdesk.web.rasa_client import RasaUnavailable
from helpdesk.web.resources import Resources, blocking, hd
from helpdesk.web.supervising import one_arg
from helpdesk.web.validation import read_body

bp = Blueprint("helpdesk")
TYPING_EVERY_S = 2  # a buyer's "typing…" lasts a few seconds (widget.js): one notice per this is enough
# Every route with a path parameter says unquote=True: sanic 21.12 otherwise hands it over percent-encoded
# (the console's encodeURIComponent("marketplace:c-1") would arrive as "marketplace%3Ac-1").


def acting_agent(request: Request, body: ask.Acting) -> str:
    """Who acts: a console user is always themselves; a service caller names the agent."""
    login = getattr(request.ctx, "login", None)
    if login is not None:
        if body.agent not in (None, login.agent):
            raise ApiError("not_you")
        return login.agent
    if body.agent is None:
        raise ApiError("missing_field", "'agent' is required with the service token")
    return body.agent


def _supervising(request: Request, body: ask.Supervising, desk: Desk) -> tuple[str, bool]:
    """The acting agent, and whether they act as a supervisor (only agents whose role is supervisor may)."""
    agent = acting_agent(request, body)
    as_supervisor = body.as_supervisor is True
    if as_supervisor and desk.agents.get(agent).get("role") != "supervisor":
        raise ApiError("not_supervisor")
    return agent, as_supervisor


def _same_agent(request: Request, agent_id: str) -> None:
    login = getattr(request.ctx, "login", None)
    if login is not None and login.agent != agent_id:
        raise ApiError("not_you", "a console user changes only their own status")


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
    return {"waiting": waiting, "agents": desk.agents.all(), "alerts": desk.alerts.active()}


@bp.get("/queue")
async def waiting_list(request: Request) -> HTTPResponse:
    return json(await blocking(_waiting_list, hd(request).desk))


def inbox_query(request: Request) -> InboxQuery:
    """?view=waiting|assigned&channel=&category=&language=&group=&page=&per_page= (each at most once)."""
    given = {name: one_arg(request, name, "bad_field") for name in ("view", *FILTERS, "page", "per_page")}
    view = given["view"] or "waiting"
    if view not in VIEWS:
        raise ApiError("bad_field", f"view must be one of {', '.join(VIEWS)}")
    numbers = {}
    for name, default, top in (("page", 1, None), ("per_page", 50, MAX_PER_PAGE)):
        raw = given[name] or str(default)
        if not raw.isdigit() or int(raw) < 1 or (top is not None and int(raw) > top):
            raise ApiError("bad_field", f"{name} must be a whole number from 1" + (f" to {top}" if top else ""))
        numbers[name] = int(raw)
    return InboxQuery(view, **{name: given[name] or "" for name in FILTERS}, **numbers)


@bp.get("/inbox")
async def inbox(request: Request) -> HTTPResponse:
    """The console's inbox in one request (helpdesk/inbox.py)."""
    query = inbox_query(request)
    login = getattr(request.ctx, "login", None)
    return json(await blocking(read_inbox, hd(request).desk, query, login.agent if login else None))


@bp.get("/agents")
async def agents(request: Request) -> HTTPResponse:
    return json({"agents": await blocking(hd(request).desk.agents.all)})


@bp.get("/agents/<agent_id>", unquote=True)
async def agent(request: Request, agent_id: str) -> HTTPResponse:
    profile = await blocking(hd(request).desk.agents.get, agent_id)
    if not profile:
        raise ApiError("unknown_agent")
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
        raise ApiError("not_found")
    return {"live": live, "position": res.desk.queue.position(cid), "handoffs": history}


@bp.get("/conversations/<conversation_id>", unquote=True)
async def conversation(request: Request, conversation_id: str) -> HTTPResponse:
    return json(await blocking(_conversation, hd(request), conversation_id))


# -- transitions ---------------------------------------------------------------------------
@bp.post("/handoffs")
async def enqueue(request: Request) -> HTTPResponse:
    """Queue a conversation from outside the bot (another channel's bot, a web form)."""
    body, desk = read_body(request, ask.Handoff), hd(request).desk
    record: HandoffRecord = {
        "conversation_id": body.conversation_id,
        "channel": body.channel or "",
        "customer": body.customer or "",
        "customer_name": body.customer_name or "",
        "language": body.language,
        "category": body.category or "human",
        "priority": body.priority,
        "vip": body.vip is True,
        "reason": body.reason or "requested",
        "order_number": body.order_number or None,
        "summary": body.summary or "",
        "created_at": desk.clock(),
    }
    placement = await blocking(desk.queue.enqueue, record)
    return json(placement.__dict__, status=201 if placement.queued else 200)


@bp.post("/conversations/<conversation_id>/claim", unquote=True)
async def claim(request: Request, conversation_id: str) -> HTTPResponse:
    agent_id = acting_agent(request, read_body(request, ask.Acting))
    await blocking(hd(request).desk.queue.claim, conversation_id, agent_id)
    return json({"conversation_id": conversation_id, "agent": agent_id})


def _owned(desk: Desk, cid: str, agent_id: str) -> Dict[str, str]:
    """The live chat, if this agent holds it; else the refusal (not_found, not_assigned, not_yours)."""
    live = desk.queue.get(cid)
    if not live:
        raise HandoffError("not_found")
    if live.get("state") != "assigned" or live.get("agent") != agent_id:
        raise HandoffError("not_yours" if live.get("state") == "assigned" else "not_assigned", live.get("agent", ""))
    return live


def _reply(res: Resources, cid: str, agent_id: str, text: str) -> List[quality.Finding]:
    """The owner's message is checked against the shop's quality rules (helpdesk/quality.py): a breach of a block
    rule refuses it (qa_blocked, with the findings) and nothing is sent. Otherwise it goes into the Rasa transcript
    first; then the reply timers stop. Every finding, blocked or warned, is recorded; the warnings are returned."""
    desk = res.desk
    live = _owned(desk, cid, agent_id)
    at = desk.clock()
    context = quality.ReplyContext(res.cfg, live.get("channel", ""), res.shop, live.get("order_number") or None, at)
    findings = quality.check(text, context)
    if quality.blocked(findings):
        record_findings(res.record, cid, agent_id, at, findings)
        reasons = " ".join(f.message for f in findings if f.action == "block")
        raise ApiError("qa_blocked", f"Not sent. {reasons}", extra={"findings": [f.as_dict() for f in findings]})
    name = str(desk.agents.get(agent_id).get("name") or agent_id)
    res.rasa.post_agent_message(cid, agent_id, name, text)
    desk.queue.reply(cid, agent_id)
    record_findings(res.record, cid, agent_id, at, findings)  # only now: one Rasa refused was not sent (retried)
    return findings


@bp.post("/conversations/<conversation_id>/reply", unquote=True)
async def reply(request: Request, conversation_id: str) -> HTTPResponse:
    body = read_body(request, ask.Reply)
    agent_id = acting_agent(request, body)
    warnings = await blocking(_reply, hd(request), conversation_id, agent_id, body.text.strip())
    return json({"conversation_id": conversation_id, "agent": agent_id, "delivered_to_transcript": True,
                 "qa": [f.as_dict() for f in warnings]})  # fmt: skip


def _typing(res: Resources, cid: str, agent_id: str) -> bool:
    """The owner is typing: the web-chat buyer sees it, at most once per TYPING_EVERY_S (the console sends it
    on every few keystrokes). Best effort: False when dropped as too soon, not a web chat, or Rasa is away."""
    desk = res.desk
    live = _owned(desk, cid, agent_id)
    if live.get("channel") != "webchat" or not desk.redis.set(keys.typing_notice(cid), agent_id, nx=True,
                                                              ex=TYPING_EVERY_S):  # fmt: skip
        return False
    try:
        res.rasa.typing(cid, str(desk.agents.get(agent_id).get("name") or agent_id))
    except RasaUnavailable:
        return False
    return True


@bp.post("/conversations/<conversation_id>/typing", unquote=True)
async def typing(request: Request, conversation_id: str) -> HTTPResponse:
    agent_id = acting_agent(request, read_body(request, ask.Acting))
    shown = await blocking(_typing, hd(request), conversation_id, agent_id)
    return json({"conversation_id": conversation_id, "shown": shown})


@bp.post("/conversations/<conversation_id>/transfer", unquote=True)
async def transfer(request: Request, conversation_id: str) -> HTTPResponse:
    body, desk = read_body(request, ask.Transfer), hd(request).desk
    by, as_supervisor = await blocking(_supervising, request, body, desk)
    to_agent, to_group = body.to_agent or "", body.to_group or ""
    owner = await blocking(desk.queue.transfer, conversation_id, by, to_agent, to_group, as_supervisor)
    return json({"conversation_id": conversation_id, "agent": owner, "state": "assigned" if owner else "waiting"})


@bp.post("/conversations/<conversation_id>/resolve", unquote=True)
async def resolve(request: Request, conversation_id: str) -> HTTPResponse:
    """Close the handoff; the bot resumes at once if Rasa answers, else the sweeper keeps trying."""
    body, res = read_body(request, ask.Supervising), hd(request)
    by, as_supervisor = await blocking(_supervising, request, body, res.desk)
    owner = await blocking(res.desk.queue.resolve, conversation_id, by, as_supervisor)
    resumed = await blocking(res.sweeper.resume_now, conversation_id)
    return json({"conversation_id": conversation_id, "agent": owner, "bot_resumed": resumed})


@bp.post("/agents/<agent_id>/status", unquote=True)
async def status(request: Request, agent_id: str) -> HTTPResponse:
    body = read_body(request, ask.Status)
    _same_agent(request, agent_id)
    returned = await blocking(hd(request).desk.agents.set_status, agent_id, body.status)
    return json({"agent": agent_id, "status": body.status, "returned_to_queue": returned})


@bp.post("/agents/<agent_id>/heartbeat", unquote=True)
async def heartbeat(request: Request, agent_id: str) -> HTTPResponse:
    _same_agent(request, agent_id)
    return json({"agent": agent_id, "status": await blocking(hd(request).desk.agents.heartbeat, agent_id)})
