"""The trainer's loop on the web (helpdesk/training/): the inbox of what the bot missed, a trainer's decisions on it,
and an agent's flag on a buyer's turn ("the bot misunderstood this", with the intent it should have been).

The inbox and the decisions are for a trainer's or a supervisor's login (the service token may read the inbox);
a decision and a flag are a person's, so they take a console login. The SQL and the file run on a worker thread.
"""

from __future__ import annotations

import time
from typing import Any, Dict, Optional

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from helpdesk.training import inbox as loop
from helpdesk.training.examples import BadExample, ReviewedFile, ReviewedFileError, relative
from helpdesk.training.harvest import parse_since, said_of
from helpdesk.web import request_models as ask
from helpdesk.web.console import login_of
from helpdesk.web.errors import ApiError
from helpdesk.web.resources import Resources, blocking, hd
from helpdesk.web.supervising import one_arg
from helpdesk.web.validation import read_body

bp = Blueprint("training")
TRAINING_ROLES = ("trainer", "supervisor")
MAX_LIMIT = 1000
SAME_TURN_S = 1e-6  # a turn's time comes back from the console as the JSON number it was sent as


def trainer_of(res: Resources) -> loop.Trainer:
    settings = res.settings
    return loop.Trainer(settings.tracker_database_url, res.record, res.cfg, ReviewedFile(settings.reviewed_nlu),
                        res.shown)  # fmt: skip


def _trainer_only(request: Request, person: bool) -> str:
    """The login's agent id (a trainer or a supervisor); "" for the service token where a person is not needed."""
    login = getattr(request.ctx, "login", None)
    if login is None:
        if person:
            raise ApiError("login_required")
        return ""
    if login.role not in TRAINING_ROLES:
        raise ApiError("not_trainer")
    return login.agent


def _int_arg(request: Request, name: str, default: int) -> int:
    raw = one_arg(request, name, "bad_field")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError("bad_field", f"'{name}' must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


# -- the inbox ---------------------------------------------------------------------------------
def _inbox(res: Resources, since_text: str, since_s: float, limit: int) -> Dict[str, Any]:
    trainer = trainer_of(res)
    entries = trainer.inbox(time.time() - since_s)
    return {"since": since_text, "below": res.cfg.handoff.unclear_below, "total": len(entries),
            "entries": [e.as_dict() for e in entries[:limit]], "intents": loop.intents(),
            "reviewed": trainer.tally(), "file": relative(trainer.reviewed.path),
            "examples_in_file": _count(trainer.reviewed)}  # fmt: skip


def _count(reviewed: ReviewedFile) -> int:
    try:
        return reviewed.count()
    except ReviewedFileError as exc:
        raise ApiError("reviewed_file_edited", str(exc)) from None


@bp.get("/training/inbox")
async def inbox(request: Request) -> HTTPResponse:
    _trainer_only(request, person=False)
    since_text = one_arg(request, "since", "bad_field") or "7d"
    try:
        since_s = parse_since(since_text)
    except ValueError as exc:
        raise ApiError("bad_field", str(exc)) from None
    if since_s > loop.LOOKBACK_S:
        raise ApiError("bad_field", "'since' goes back at most 90 days")
    limit = _int_arg(request, "limit", 200)
    return json(await blocking(_inbox, hd(request), since_text, since_s, limit))


@bp.get("/training/intents")
async def intents(request: Request) -> HTTPResponse:
    login_of(request)
    return json({"intents": loop.intents()})


# -- decisions ---------------------------------------------------------------------------------
def _decide(res: Resources, key: str, intent: Optional[str], who: str) -> Dict[str, Any]:
    try:
        return trainer_of(res).decide(key, intent, who, time.time())
    except loop.UnknownIntent:
        raise ApiError("unknown_intent") from None
    except loop.UnknownEntry:
        raise ApiError("unknown_entry") from None
    except loop.AlreadyExample as exc:
        raise ApiError("already_example", str(exc)) from None
    except BadExample as exc:
        raise ApiError("bad_example", str(exc)) from None
    except ReviewedFileError as exc:
        raise ApiError("reviewed_file_edited", str(exc)) from None


@bp.post("/training/decisions")
async def decide(request: Request) -> HTTPResponse:
    who = _trainer_only(request, person=True)
    body = read_body(request, ask.Decision)
    return json(await blocking(_decide, hd(request), body.key, body.intent, who), status=201)


@bp.get("/training/decisions")
async def decisions(request: Request) -> HTTPResponse:
    _trainer_only(request, person=False)
    limit = _int_arg(request, "limit", 50)
    return json({"decisions": await blocking(lambda: trainer_of(hd(request)).decisions(limit))})


def _undo(res: Resources, key: str) -> bool:
    try:
        return trainer_of(res).undo(key)
    except ReviewedFileError as exc:
        raise ApiError("reviewed_file_edited", str(exc)) from None


@bp.delete("/training/decisions/<key>", unquote=True)
async def undo(request: Request, key: str) -> HTTPResponse:
    _trainer_only(request, person=True)
    if not await blocking(_undo, hd(request), key):
        raise ApiError("not_found", "no decision on that entry")
    return json({"undone": key})


# -- an agent's flag on a transcript line ------------------------------------------------------
def _flag(res: Resources, cid: str, at: float, intent: str, agent: str) -> Dict[str, Any]:
    try:
        loop.check_intent(intent)
    except loop.UnknownIntent:
        raise ApiError("unknown_intent") from None
    for event in res.rasa.tracker(cid).get("events") or []:
        if event.get("event") == "user" and abs(float(event.get("timestamp") or 0) - at) < SAME_TURN_S:
            said = said_of(cid, float(event["timestamp"]), event)
            if said is not None:
                return loop.flag(res.record, res.cfg, said, intent, agent, time.time())
    raise ApiError("not_found", "no buyer turn at that time in this conversation")


@bp.post("/conversations/<conversation_id>/flags", unquote=True)
async def flag(request: Request, conversation_id: str) -> HTTPResponse:
    agent = login_of(request).agent
    body = read_body(request, ask.Flag)
    return json(await blocking(_flag, hd(request), conversation_id, body.at, body.intent, agent), status=201)
