"""How the helpdesk says no: every refusal is JSON {"error": code, "reason": text} (plus "owner" when the chat is
another agent's) with a 4xx, Redis or Rasa being down is a 503/502, and nothing carries a stack trace.

ERRORS is the one table of codes; the OpenAPI spec lists, per route and status, the codes it may answer.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Tuple

import redis
from sanic import Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import HTTPResponse, json

from helpdesk.scripts import HandoffError
from helpdesk.web.rasa_client import RasaUnavailable
from shop import formats

log = logging.getLogger(__name__)

# code -> (HTTP status, what to tell the caller)
ERRORS: Dict[str, Tuple[int, str]] = {
    # the request's shape
    "bad_json": (400, "the body is not JSON text (UTF-8, no unpaired surrogate escapes)"),
    "bad_body": (400, "the body must be a JSON object"),
    "missing_field": (400, "a required field is missing"),
    "bad_field": (400, "a field has the wrong type, format or length"),
    "bad_conversation_id": (400, "invalid conversation id"),
    "bad_text": (400, f"'text' must have 1 to {formats.MAX_AGENT_TEXT} characters, not all spaces, and no NUL"),
    "bad_status": (400, "status must be online, away or offline"),
    "need_agent_or_group": (400, "give exactly one of to_agent and to_group"),
    "bad_period": (400, "'from' and 'to' must be dates (YYYY-MM-DD), from not after to, at most 366 days apart"),
    "unknown_intent": (400, "not an intent of the domain (categories.yml)"),
    "need_intent_or_ignore": (400, "give exactly one of 'intent' and 'ignore': true"),
    "bad_group_by": (400, "group_by must be one of day, hour, agent, category, channel, language"),
    "body_too_large": (413, f"the body is larger than {formats.MAX_BODY_BYTES} bytes"),
    "file_too_large": (413, "the file is larger than shop.yml attachments.max_mb"),
    "bad_file": (415, "the file is empty, of a type shop.yml attachments.types does not list, or not what it says"),
    # who asks
    "unauthorized": (401, "log in, or give the service's bearer token"),
    "login_required": (401, "log in to the console first"),
    "bad_login": (401, "wrong agent or password"),
    "csrf": (403, "missing or wrong X-CSRF-Token header"),
    "not_you": (403, "a console user acts only as themselves"),
    "not_supervisor": (403, "only a supervisor may act on another agent's conversation"),
    "not_trainer": (403, "only a trainer's or a supervisor's login (or the service token) may use the trainer's inbox"),
    "too_many_attempts": (429, "too many login attempts; wait a minute"),
    # what is there, and in which state
    "not_found": (404, "no handoff for this conversation"),
    "unknown_agent": (404, "no such agent"),
    "unknown_group": (404, "no agent is in that group"),
    "unknown_shortcut": (404, "no quick reply with that shortcut"),
    "unknown_entry": (404, "no such entry in the trainer's inbox (decided meanwhile, or older than 90 days)"),
    "not_yours": (409, "the conversation is assigned to another agent"),
    "not_waiting": (409, "the conversation is not waiting (already assigned or resolved)"),
    "not_assigned": (409, "the conversation is not assigned to anyone; claim it first"),
    "already_resolved": (409, "the conversation is already resolved"),
    "agent_full": (409, "the agent has no free capacity"),
    "agent_not_online": (409, "the agent is not online"),
    "same_agent": (409, "the conversation is already with that agent"),
    "offline": (409, "the agent is offline; set the status to online first"),
    # the trainer's loop (helpdesk/training/): the reason says which example or file
    "already_example": (409, "the example is in the training data already; nothing was recorded"),
    "bad_example": (422, "the message cannot be an example (nothing left once masked, or too long for one intent)"),
    "reviewed_file_edited": (409, "the reviewed-examples file holds more than intents and examples; fix it by hand"),
    # the quality check of replies (helpdesk/quality.py): the body's "findings" say which rules and why
    "qa_blocked": (422, "the reply breaks a rule of the shop's quality check; nothing was sent"),
    # HTTP itself
    "method_not_allowed": (405, "this path does not serve that method; see the Allow header"),
    "upgrade_required": (426, "open this path as a websocket"),
    "bad_request": (400, "the request is malformed"),
    "server_error": (500, "the server failed; see its log"),
    # what the helpdesk depends on
    "rasa_unavailable": (502, "the bot server did not take the message; retry"),
    "queue_unavailable": (503, "the live queue (Redis) is unreachable; retry"),
}
# sanic's own refusals (no route, wrong method, body too big), in the same words
SANIC_CODES = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


class ApiError(Exception):
    def __init__(
        self,
        code: str,
        reason: Optional[str] = None,
        headers: Optional[Dict[str, str]] = None,
        owner: str = "",
        extra: Optional[Dict[str, Any]] = None,
    ) -> None:
        # a transition refused for a reason the table lacks is a conflict with the live state
        self.status, default = ERRORS.get(code, (409, code))
        self.code, self.reason, self.headers, self.owner = code, reason or default, headers or {}, owner
        self.extra = extra or {}  # more fields of the body (qa_blocked: "findings"); response_models.Error lists them
        super().__init__(self.reason)

    def response(self) -> HTTPResponse:
        body = {"error": self.code, "reason": self.reason, **self.extra}
        if self.owner:
            body["owner"] = self.owner
        return json(body, status=self.status, headers=self.headers)


def install_error_handlers(app: Sanic) -> None:
    @app.exception(ApiError)
    async def api_error(request: Request, exc: ApiError) -> HTTPResponse:
        return exc.response()

    @app.exception(HandoffError)
    async def handoff_error(request: Request, exc: HandoffError) -> HTTPResponse:
        return ApiError(exc.code, owner=exc.owner).response()

    @app.exception(redis.RedisError, ConnectionError)
    async def redis_down(request: Request, exc: Exception) -> HTTPResponse:
        return ApiError("queue_unavailable").response()

    @app.exception(RasaUnavailable)
    async def rasa_down(request: Request, exc: RasaUnavailable) -> HTTPResponse:
        return ApiError("rasa_unavailable").response()

    @app.exception(Exception)
    async def bug(request: Request, exc: Exception) -> HTTPResponse:
        """Anything else is a bug: logged with its traceback, answered without it."""
        log.exception("%s %s failed", request.method, request.path, exc_info=exc)
        return ApiError("server_error").response()

    @app.exception(SanicException)
    async def http_error(request: Request, exc: SanicException) -> HTTPResponse:
        """No route, a method the path does not serve (with the Allow header), a body over the limit."""
        status = exc.status_code
        if status >= 500:
            return await bug(request, exc)
        body = {"error": SANIC_CODES.get(status, "bad_request"), "reason": str(exc)}
        return json(body, status=status, headers=getattr(exc, "headers", None) or {})
