"""The OpenAPI 3 description of the helpdesk API, served at /openapi.json.

tests/helpdesk/test_service.py checks that every route of the app is described here.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from shop import formats

ERROR = {"$ref": "#/components/schemas/Error"}
AGENT_ID = {"type": "string", "pattern": formats.AGENT_ID}
ACTING = {
    "agent": {**AGENT_ID, "description": "the acting agent"},
    "as_supervisor": {"type": "boolean", "description": "act on another agent's chat (role supervisor only)"},
}


def _body(required: List[str], properties: Dict[str, Any]) -> Dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": properties}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _op(summary: str, body: Optional[Dict[str, Any]] = None, errors: str = "400 404 409", ok: str = "200") -> dict:
    responses: Dict[str, Any] = {ok: {"description": "done"}}
    for code in errors.split():
        responses[code] = {"description": "refused", "content": {"application/json": {"schema": ERROR}}}
    responses["503"] = {"description": "the live queue (Redis) is unreachable"}
    op: Dict[str, Any] = {"summary": summary, "responses": responses}
    if body:
        op["requestBody"] = body
    return op


def _param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


SPEC: Dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "kefu helpdesk",
        "version": "1.0",
        "description": "The human handoff queue: agents, "
        "assignment, timers. Other routes need a console session (cookie, plus X-CSRF-Token on changes) "
        "or 'Authorization: Bearer <token>'.",
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "reason": {"type": "string"}, "owner": {"type": "string"}},
            }
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/health": {"get": {**_op("Liveness (and Redis reachable)", errors=""), "security": []}},
        "/openapi.json": {"get": {**_op("This document", errors=""), "security": []}},
        "/queue": {"get": _op("Waiting conversations in serving order, and every agent", errors="401")},
        "/agents": {"get": _op("Every agent with status, load and chats", errors="401")},
        "/agents/{agent_id}": {"get": {**_op("One agent", errors="401 404"), "parameters": [_param("agent_id")]}},
        "/agents/{agent_id}/status": {
            "post": {
                **_op(
                    "Go online, away or offline (offline sends every open chat back to the queue)",
                    _body(["status"], {"status": {"type": "string", "enum": ["online", "away", "offline"]}}),
                ),
                "parameters": [_param("agent_id")],
            }
        },
        "/agents/{agent_id}/heartbeat": {
            "post": {**_op("Still here (every < 60 s while online or away)"), "parameters": [_param("agent_id")]}
        },
        "/handoffs": {
            "post": _op(
                "Queue a conversation for a human; a no-op (200) if it is already waiting or assigned",
                _body(
                    ["conversation_id"],
                    {
                        "conversation_id": {"type": "string", "maxLength": 255},
                        "channel": {"type": "string"},
                        "customer": {"type": "string"},
                        "language": {"type": "string", "enum": ["en", "zh"]},
                        "category": {"type": "string"},
                        "priority": {"type": "integer", "minimum": -100, "maximum": 100},
                        "vip": {"type": "boolean"},
                        "reason": {"type": "string"},
                        "order_number": {"type": "string"},
                        "summary": {"type": "string", "maxLength": formats.MAX_AGENT_TEXT},
                    },
                ),
                errors="400 401",
                ok="201",
            )
        },
        "/conversations/{conversation_id}": {
            "get": {
                **_op("Live state and the SQL record of its handoffs", errors="400 401 404"),
                "parameters": [_param("conversation_id")],
            }
        },
        "/conversations/{conversation_id}/claim": {
            "post": {
                **_op("Take a waiting conversation", _body(["agent"], {"agent": AGENT_ID})),
                "parameters": [_param("conversation_id")],
            }
        },
        "/conversations/{conversation_id}/reply": {
            "post": {
                **_op(
                    "The owner's message: into the Rasa transcript, and the reply timers stop",
                    _body(
                        ["agent", "text"],
                        {"agent": AGENT_ID, "text": {"type": "string", "maxLength": formats.MAX_AGENT_TEXT}},
                    ),
                    errors="400 401 404 409 502",
                ),
                "parameters": [_param("conversation_id")],
            }
        },
        "/conversations/{conversation_id}/transfer": {
            "post": {
                **_op(
                    "To an agent (online, with room) or a group (back to the front of the queue)",
                    _body(["agent"], {**ACTING, "to_agent": AGENT_ID, "to_group": {"type": "string"}}),
                    errors="400 401 403 404 409",
                ),
                "parameters": [_param("conversation_id")],
            }
        },
        "/conversations/{conversation_id}/resolve": {
            "post": {
                **_op(
                    "Close the handoff; the bot takes over and asks for a rating",
                    _body(["agent"], ACTING),
                    errors="400 401 403 404 409",
                ),
                "parameters": [_param("conversation_id")],
            }
        },
        "/console": {"get": {**_op("The agent console (HTML)", errors=""), "security": []}},
        "/console/static/{__file_uri__}": {
            "get": {
                **_op("The console's script and style", errors="404"),
                "security": [],
                "parameters": [_param("__file_uri__")],
            },
            "head": {
                **_op("The same, headers only", errors="404"),
                "security": [],
                "parameters": [_param("__file_uri__")],
            },
        },
        "/auth/login": {
            "post": {
                **_op(
                    "Log in: sets the session cookie (HttpOnly, Secure, SameSite=Strict); returns the CSRF token "
                    "that every later change must send as X-CSRF-Token. 10 tries per minute per address.",
                    _body(["agent", "password"], {"agent": AGENT_ID, "password": {"type": "string"}}),
                    errors="400 401 429",
                ),
                "security": [],
            }
        },
        "/auth/logout": {"post": _op("End the session", errors="401 403")},
        "/auth/me": {"get": _op("Who is logged in (and the CSRF token)", errors="401")},
        "/live": {
            "get": _op(
                "Websocket: every handoff event as it happens, JSON {kind, conversation_id, agent}", errors="401"
            )
        },
        "/conversations/{conversation_id}/transcript": {
            "get": {
                **_op(
                    "The whole transcript from Rasa (buyer, bot and agent turns), the messages the channel finally "
                    "failed to deliver, and the channel's state of the chat (a marketplace's read mark)",
                    errors="400 401 502",
                ),
                "parameters": [_param("conversation_id")],
            }
        },
        "/conversations/{conversation_id}/customer": {
            "get": {
                **_op(
                    "The customer panel: profile, VIP, orders with status and tracking, past handoffs", errors="400 401"
                ),
                "parameters": [_param("conversation_id")],
            }
        },
        "/conversations/{conversation_id}/quick-reply": {
            "post": {
                **_op(
                    "A quick reply in the buyer's language with {name} {order_no} {tracking_no} {agent} filled",
                    _body(["shortcut"], {"shortcut": {"type": "string"}}),
                    errors="400 401 403 404",
                ),
                "parameters": [_param("conversation_id")],
            }
        },
        "/conversations/{conversation_id}/notes": {
            "get": {
                **_op("Internal notes on the conversation (agents only, never shown to the buyer)", errors="400 401"),
                "parameters": [_param("conversation_id")],
            },
            "post": {
                **_op(
                    "Add an internal note",
                    _body(["text"], {"text": {"type": "string", "maxLength": formats.MAX_AGENT_TEXT}}),
                    errors="400 401 403",
                    ok="201",
                ),
                "parameters": [_param("conversation_id")],
            },
        },
        "/quick-replies": {
            "get": _op("The shop's quick replies and the agent's own", errors="401"),
            "post": _op(
                "Save one of the agent's own quick replies",
                _body(
                    ["shortcut"], {"shortcut": {"type": "string"}, "en": {"type": "string"}, "zh": {"type": "string"}}
                ),
                errors="400 401 403",
            ),
        },
        "/quick-replies/{shortcut}": {
            "delete": {
                **_op("Delete one of the agent's own quick replies", errors="401 403 404"),
                "parameters": [_param("shortcut")],
            }
        },
    },
}
