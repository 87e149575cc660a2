"""What the HTTP layer answers on its own, in the same error contract ({"error", "reason"}): a method a path
does not serve (405 with Allow), /live without a websocket handshake (426), no route, a body too big; and the
inputs a schema-driven fuzzer does not send (an unpaired surrogate escape, raw header bytes, NUL), which were
500s. /live with a login and a handshake streams the live events."""

from __future__ import annotations

import asyncio
import json
from http.cookies import SimpleCookie
from typing import Any, Dict, Iterator

from websockets.legacy.client import connect

from helpdesk import keys
from helpdesk.web.openapi import SPEC
from tests.helpdesk.conftest import PASSWORD, helpdesk_env
from tests.helpdesk.served import ServedApp

HANDSHAKE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
             "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}  # fmt: skip


def login(hd: ServedApp, agent: str = "ben") -> Dict[str, str]:
    r = hd.post("/auth/login", {"agent": agent, "password": PASSWORD}, auth=False)
    assert r.status_code == 200, r.text
    return {"Cookie": f"kefu_session={SimpleCookie(r.headers['set-cookie'])['kefu_session'].value}",
            "X-CSRF-Token": r.json["csrf"]}  # fmt: skip


def refused(r: Any, status: int, error: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json" and r.json["error"] == error and r.json["reason"]


def test_a_method_a_path_does_not_serve_is_405_with_allow(hd):
    r = hd.request("put", "/queue")
    refused(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "GET"
    r = hd.request("delete", "/console/static/console.js", auth=False)
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) == {"GET", "HEAD"}


def test_live_answers_426_without_a_websocket_handshake(hd):
    refused(hd.get("/live"), 401, "login_required")  # the token is not a person
    ben = login(hd)
    r = hd.get("/live", auth=False, headers=ben)
    refused(r, 426, "upgrade_required")
    assert r.headers["upgrade"] == "websocket"
    bad_key = {**ben, **HANDSHAKE, "Sec-WebSocket-Key": "not 16 bytes"}
    refused(hd.get("/live", auth=False, headers=bad_key), 426, "upgrade_required")


def test_live_streams_the_events_to_a_console_login(hd):
    cookie = login(hd)["Cookie"]
    event = json.dumps({"kind": "claimed", "conversation_id": "c-1", "agent": "ben"})
    redis = hd.app.ctx.hd.desk.redis

    async def first_event() -> Dict[str, str]:
        async with connect(f"ws://127.0.0.1:{hd.client.port}/live", extra_headers={"Cookie": cookie}) as ws:
            for _ in range(50):  # the handler subscribes just after the handshake: publish until it hears
                await asyncio.to_thread(redis.publish, keys.LIVE, event)
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
                except asyncio.TimeoutError:
                    continue
                if message["kind"] != "ping":
                    return message
        raise AssertionError("no event on /live")

    assert hd.loop.run_until_complete(first_event()) == json.loads(event)


def test_sanics_own_refusals_keep_the_contract(hd):
    refused(hd.get("/no/such/route"), 404, "not_found")
    refused(hd.post("/handoffs", {"conversation_id": "big", "summary": "x" * 70_000}), 413, "body_too_large")
    refused(hd.post("/agents/ben/heartbeat", {"padding": "x" * 70_000}), 413, "body_too_large")  # no body read
    refused(hd.get("/console/static/nope.js", auth=False), 404, "not_found")


def test_what_a_fuzzer_does_not_send_is_refused_not_a_500(hd):
    surrogate = '{"conversation_id": "c-\\udc00"}'  # parses to a str that no UTF-8 encoder takes
    r = hd.request("post", "/handoffs", content=surrogate, headers={"Content-Type": "application/json"})
    refused(r, 400, "bad_json")
    refused(hd.request("get", "/queue", auth=False, headers={"Authorization": b"Bearer \xff"}), 401, "unauthorized")
    refused(hd.get("/console/static/console.js%00", auth=False), 404, "not_found")
    refused(hd.get("/conversations/c-1%0A"), 400, "bad_conversation_id")  # "$" in Python would let it through
    refused(hd.post("/handoffs", {"conversation_id": "c-1", "summary": "a\x00b"}), 400, "bad_field")
    ben = login(hd)
    r = hd.request("post", "/conversations/c-1/notes", auth=False, headers=ben, json={"text": "note\x00"})
    refused(r, 400, "bad_text")  # PostgreSQL, where the record may be, cannot store a NUL


def test_the_spec_is_openapi_3_0(hd):
    """No JSON Schema that OpenAPI 3.0 lacks (null types, const), every $ref resolves, and it is what is served."""
    assert hd.get("/openapi.json", auth=False).json == SPEC
    schemas = SPEC["components"]["schemas"]
    for node in _walk(SPEC):
        assert "const" not in node and node.get("type") != "null" and not isinstance(node.get("type"), list)
        if "$ref" in node:
            assert node["$ref"].removeprefix("#/components/schemas/") in schemas


def _walk(node: Any) -> Iterator[Dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_without_a_service_token_only_console_logins_get_in(tmp_path, sqlite_shop, start_redis_server):
    env = {**helpdesk_env(tmp_path, start_redis_server(tmp_path), sqlite_shop), "KEFU_HELPDESK_TOKEN": ""}
    hd = ServedApp(env)
    try:
        refused(hd.get("/queue", auth=False), 401, "unauthorized")
        refused(hd.get("/queue", headers={"Authorization": "Bearer"}, auth=False), 401, "unauthorized")
        assert hd.get("/queue", auth=False, headers=login(hd)).status_code == 200
    finally:
        hd.close()
