"""How the helpdesk says no: every refusal is JSON {"error": code, "reason": text} with a 4xx, Redis or
Rasa being down is a 503/502, and nothing carries a stack trace."""

from __future__ import annotations

import re
from typing import Any, Dict

import redis
from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

from helpdesk.scripts import HandoffError
from helpdesk.web.rasa_client import RasaUnavailable
from shop import formats

CONVERSATION_ID = re.compile(formats.CONVERSATION_ID)

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


def install_error_handlers(app: Sanic) -> None:
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
