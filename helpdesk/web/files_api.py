"""Photos and files in the console: an agent sends one to the buyer, and sees the ones in a transcript.

The file store is the Rasa server's (shop/attachments.py, KEFU_FILES_URL): what a buyer uploaded through
a channel the helpdesk reads, and what an agent sends here the channel serves to the buyer.
"""

from __future__ import annotations

from typing import Any, Dict

from pydantic import ValidationError
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw

from helpdesk.web import request_models as ask
from helpdesk.web.api import _owned, acting_agent
from helpdesk.web.errors import ApiError
from helpdesk.web.resources import Resources, blocking, hd
from shop.attachments import Refused, attachment, check, served

bp = Blueprint("files")


def _send_file(res: Resources, cid: str, agent_id: str, data: bytes, declared: str, name: str) -> Dict[str, Any]:
    """Check the file, then keep the owner's and send it as their message (the reply timers stop, as for words)."""
    try:
        content_type = check(data, res.cfg.attachments, declared)
    except Refused as exc:
        raise ApiError("file_too_large" if exc.reason == "too_large" else "bad_file", str(exc)) from None
    desk = res.desk
    _owned(desk, cid, agent_id)
    kept = attachment(res.files.put(data, content_type), content_type, len(data), name)
    agent_name = str(desk.agents.get(agent_id).get("name") or agent_id)
    res.rasa.post_agent_message(cid, agent_id, agent_name, "", files=[kept])
    desk.queue.reply(cid, agent_id)
    return kept


@bp.post("/conversations/<conversation_id>/files", unquote=True)
async def send_file(request: Request, conversation_id: str) -> HTTPResponse:
    if not request.body:  # its shape first, as every route checks its body before who acts
        raise ApiError("bad_body", "the body must be the file, and it is empty")
    try:  # a file is the body, so the service token's agent comes in the query
        # a blank ?agent= is a bad id, not a missing one (sanic's request.args would drop it)
        acting = ask.Acting.parse_obj({"agent": request.get_args(keep_blank_values=True).get("agent")})
    except ValidationError:
        raise ApiError("bad_field", "'agent' is not an agent id") from None
    agent_id = acting_agent(request, acting)
    kept = await blocking(_send_file, hd(request), conversation_id, agent_id, request.body or b"",
                          request.headers.get("content-type", ""), request.args.get("name", ""))  # fmt: skip
    return json({"conversation_id": conversation_id, "agent": agent_id, "file": kept})


@bp.get("/files/<file>")
async def kept_file(request: Request, file: str) -> HTTPResponse:
    data = await blocking(hd(request).files.get, file)  # its name's shape was checked (validation.check_path)
    if data is None:
        raise ApiError("not_found", "no such file")
    headers, content_type = served(data, file)
    return raw(data, headers=headers, content_type=content_type)
