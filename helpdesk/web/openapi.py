"""The OpenAPI 3.0 description of the helpdesk, served at /openapi.json: written from the route table
(routes.py) and the request and response models, so it says what the handlers check and send.

Besides its own refusals, each route lists those of its kind: 401 (and 403 for a change without the CSRF token)
where a login or the token is needed, 400 where it takes a body, 413 on every POST, its path parameters'
refusals, and 503 where Redis is read.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Set

from pydantic import schema_of
from pydantic.schema import schema

from helpdesk.web.errors import ERRORS
from helpdesk.web.response_models import Error
from helpdesk.web.routes import ROUTES, Media, Route
from helpdesk.web.validation import PATH_PARAMETERS
from shop import formats

REF = "#/components/schemas/"
SECURITY = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "the service token (KEFU_HELPDESK_TOKEN)"},
    "session": {"type": "apiKey", "in": "cookie", "name": "kefu_session", "description": "a console login"},
    "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token", "description": "the login's CSRF token"},
}


def _security(route: Route) -> List[Dict[str, List[str]]]:
    if route.access == "open":
        return []
    login = {"session": [], "csrf": []} if _changes(route) else {"session": []}
    return [login] if route.access == "login" else [{"bearer": []}, login]


def _changes(route: Route) -> bool:
    return route.method not in ("get", "head", "options")


def _codes(route: Route) -> Set[str]:
    """Every error code the route may answer: its own, and those of its kind."""
    codes = set(route.refusals)
    if route.access != "open":
        codes.add("unauthorized")
        codes |= {"login_required"} if route.access == "login" else set()
        codes |= {"csrf"} if _changes(route) else set()
    if route.method == "post":  # sanic reads a POST's body (to the size limit) even where the handler ignores it
        codes.add("body_too_large")
    if route.body is not None:
        codes |= {"bad_json", "bad_body", "bad_field", *route.body.codes.values()}
        if any(f.required for f in route.body.__fields__.values()):
            codes.add("missing_field")
    codes |= {PATH_PARAMETERS[name][1] for name in re.findall(r"{(\w+)}", route.path)}
    if route.redis:
        codes.add("queue_unavailable")
    return codes


def _refusals(codes: Set[str]) -> Dict[str, Any]:
    by_status: Dict[int, List[str]] = {}
    for code in sorted(codes):
        by_status.setdefault(ERRORS[code][0], []).append(code)
    return {
        str(status): {
            "description": "; ".join(f"{code}: {ERRORS[code][1]}" for code in listed),
            "content": {
                "application/json": {
                    "schema": {"allOf": [{"$ref": f"{REF}Error"}, {"properties": {"error": {"enum": listed}}}]}
                }
            },
        }
        for status, listed in sorted(by_status.items())
    }


def _content(answer: Any) -> Dict[str, Any]:
    if isinstance(answer, Media):
        return {"content": {t: {"schema": {"type": "string"}} for t in answer.types}} if answer.types else {}
    return {"content": {"application/json": {"schema": {"$ref": f"{REF}{answer.__name__}"}}}}


# the query parameters a route may document (Route.query): their schema and meaning
QUERY_PARAMETERS: Dict[str, Dict[str, Any]] = {
    "agent": {"schema": {"type": "string", "pattern": formats.AGENT_ID},
              "description": "the acting agent: required with the service token; a console login acts as itself"},
    "name": {"schema": {"type": "string"},
             "description": f"the file's name as shown beside it: no path, cut to {formats.MAX_FILE_NAME} characters"},
}  # fmt: skip


def _parameter(name: str) -> Dict[str, Any]:
    kind = {k: v for k, v in schema_of(PATH_PARAMETERS[name][0]).items() if k != "title"}
    return {"name": name, "in": "path", "required": True, "schema": kind}


def _operation(route: Route) -> Dict[str, Any]:
    answers = {str(status): {"description": "done", **_content(a)} for status, a in route.answers.items()}
    op: Dict[str, Any] = {
        "summary": route.summary,
        "security": _security(route),
        "responses": {**answers, **_refusals(_codes(route))},
    }
    names = re.findall(r"{(\w+)}", route.path)
    query = [{"name": n, "in": "query", "required": False, **QUERY_PARAMETERS[n]} for n in route.query]
    if names or query:
        op["parameters"] = [_parameter(n) for n in names] + query
    if route.body is not None:
        op["requestBody"] = {"required": True, **_content(route.body)}
    if route.upload is not None:
        binary = {"type": "string", "format": "binary", "minLength": 1}
        op["requestBody"] = {"required": True, "content": {t: {"schema": binary} for t in route.upload.types}}
    return op


def build() -> Dict[str, Any]:
    answers = [a for r in ROUTES for a in r.answers.values() if not isinstance(a, Media)]
    models = {Error, *(r.body for r in ROUTES if r.body), *answers}
    paths: Dict[str, Dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method] = _operation(route)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "kefu helpdesk",
            "version": "1.0",
            "description": "The human handoff queue: agents, assignment, timers, and the agent console. Routes "
            "need a console login (the kefu_session cookie, and X-CSRF-Token on every change) or the service's "
            "bearer token, as each says. Every refusal is JSON {error, reason}; bodies are at most "
            f"{formats.MAX_BODY_BYTES} bytes.",
        },
        "components": {
            "securitySchemes": SECURITY,
            "schemas": schema(sorted(models, key=lambda m: m.__name__), ref_prefix=REF)["definitions"],
        },
        "paths": paths,
    }


SPEC: Dict[str, Any] = build()
