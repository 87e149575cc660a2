"""Requests checked against the models the spec is written from: path parameters before any handler runs,
JSON bodies as a handler reads them. A value that does not fit is a 400 (an agent id of the wrong shape: 404,
no agent has it), with the codes the API has always used."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Tuple, Type, TypeVar

from pydantic import ValidationError, parse_obj_as
from sanic import Request
from sanic.response import HTTPResponse

from helpdesk.web.errors import ApiError
from helpdesk.web.fields import AgentId, ConversationId, KeptFile, Shortcut, StaticFile
from helpdesk.web.request_models import Body, EntryKey

B = TypeVar("B", bound=Body)

# path parameter -> (its type, the refusal when the value does not fit)
PATH_PARAMETERS: Dict[str, Tuple[Any, str]] = {
    "conversation_id": (ConversationId, "bad_conversation_id"),
    "agent_id": (AgentId, "unknown_agent"),
    "shortcut": (Shortcut, "bad_field"),
    "key": (EntryKey, "not_found"),  # a trainer's decision
    "file": (KeptFile, "not_found"),
    "__file_uri__": (StaticFile, "not_found"),
}


async def check_path(request: Request) -> Optional[HTTPResponse]:
    """Request middleware. It answers rather than raises: sanic runs request middleware again while it handles
    an error, and an exception there would be a 500."""
    for name, value in request.match_info.items():
        kind, code = PATH_PARAMETERS[name]
        try:
            parse_obj_as(kind, value)
        except ValidationError:
            reason = f"'{name}' has an invalid format" if code == "bad_field" else None
            return ApiError(code, reason).response()
    return None


def read_body(request: Request, model: Type[B]) -> B:
    try:
        data = request.json
        # an unpaired surrogate escape ("\\ud800") parses, but is no text: Redis and SQL could not encode it
        json.dumps(data, ensure_ascii=False).encode()
    except Exception as exc:
        raise ApiError("bad_json") from exc
    if not isinstance(data, dict):
        raise ApiError("bad_body")
    try:
        return model.parse_obj(data)
    except ValidationError as exc:
        raise _refusal(exc, model, data) from None


def _refusal(exc: ValidationError, model: Type[Body], data: Dict[str, Any]) -> ApiError:
    """The first thing wrong, as the API has always said it: a required field that is absent, null or ""
    is missing_field; a value of the wrong type is bad_field; a wrong value is the field's own code."""
    error = exc.errors()[0]
    name = error["loc"][0]
    if name == "__root__":  # a rule across fields
        return ApiError(model.codes["__root__"], error["msg"])
    if model.__fields__[name].required and data.get(name) in (None, ""):
        return ApiError("missing_field", f"'{name}' is required")
    code = "bad_field" if error["type"].startswith("type_error") else model.codes.get(name, "bad_field")
    return ApiError(code, f"'{name}': {error['msg']}" if code == "bad_field" else None)
