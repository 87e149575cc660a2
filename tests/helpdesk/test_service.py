"""The helpdesk API, served in this process (tests/helpdesk/served.py) with a redis-server and a SQLite file
of its own: the routes, their refusals, and two apps side by side. Rasa is not running here, on purpose:
what the helpdesk does when Rasa is away is part of the contract (tests/e2e covers Rasa up). The sweeper
in real time and restarts are in test_service_process.py."""

from __future__ import annotations

import re

import pytest

from helpdesk.web.app import create_app
from helpdesk.web.openapi import SPEC
from tests.helpdesk.served import ServedApp


def enqueue(hd: ServedApp, cid: str, **extra) -> dict:
    r = hd.post("/handoffs", {"conversation_id": cid, "language": "en", "category": "human", **extra})
    assert r.status_code in (200, 201), r.text
    return r.json


def test_every_route_is_in_the_openapi_spec():
    app = create_app("kefu-helpdesk-spec-check")
    served: dict = {}
    for route in app.router.routes:
        path = re.sub(r"<(\w+)(:[^>]*)?>", r"{\1}", "/" + route.path.lstrip("/"))
        served.setdefault(path, set()).update(m.lower() for m in route.methods)
    assert {path: served[path] for path in served} == {path: set(ops) for path, ops in SPEC["paths"].items()}


def test_the_token_is_required_except_for_health_and_the_spec(hd):
    assert hd.get("/queue", auth=False).status_code == 401
    wrong = hd.get("/queue", auth=False, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json["error"] == "unauthorized"
    assert hd.get("/health", auth=False).status_code == 200
    assert hd.get("/openapi.json", auth=False).json["openapi"].startswith("3.")


@pytest.mark.parametrize(
    "path,body,status,error",
    [
        ("/handoffs", "not json", 400, "bad_json"),
        ("/handoffs", [1, 2], 400, "bad_body"),
        ("/handoffs", {}, 400, "missing_field"),
        ("/handoffs", {"conversation_id": "a b"}, 400, "bad_conversation_id"),
        ("/handoffs", {"conversation_id": "x", "priority": "high"}, 400, "bad_field"),
        ("/handoffs", {"conversation_id": "x", "language": "fr"}, 400, "bad_field"),
        ("/conversations/nobody/claim", {"agent": "amy"}, 404, "not_found"),
        ("/conversations/x/claim", {"agent": "Robert'); DROP TABLE handoffs;--"}, 400, "bad_field"),
        ("/conversations/x/claim", {"agent": 7}, 400, "bad_field"),
        ("/agents/amy/status", {"status": "asleep"}, 400, "bad_status"),
        ("/agents/ghost/status", {"status": "online"}, 404, "unknown_agent"),
        ("/conversations/x/transfer", {"agent": "amy"}, 400, "need_agent_or_group"),
        ("/conversations/x/reply", {"agent": "amy", "text": "   "}, 400, "bad_text"),
        ("/conversations/x/reply", {"agent": "amy", "text": "x" * 4001}, 400, "bad_text"),
    ],
)
def test_bad_requests_get_a_4xx_with_a_reason(hd, path, body, status, error):
    if isinstance(body, str):
        r = hd.post(path, content=body, headers={"Content-Type": "application/json"})
    else:
        r = hd.post(path, body)
    assert r.status_code == status, r.text
    assert r.json["error"] == error and r.json["reason"]
    assert "Traceback" not in r.text


def test_oversized_bodies_and_unknown_routes_are_refused_without_internals(hd):
    r = hd.post("/handoffs", {"conversation_id": "big", "summary": "x" * 70_000})
    assert r.status_code == 413 and "Traceback" not in r.text
    r = hd.get("/no/such/route")
    assert r.status_code == 404 and "Traceback" not in r.text


def test_a_handoff_through_the_api_and_its_record(hd):
    assert hd.post("/agents/amy/status", {"status": "online"}).json["status"] == "online"
    placed = enqueue(hd, "api-1", summary="<script>alert(1)</script>", priority=10)
    assert placed == {"queued": True, "state": "assigned", "agent": "amy", "position": 0}
    assert hd.post("/handoffs", {"conversation_id": "api-1"}).status_code == 200  # again: a no-op
    assert hd.post("/conversations/api-1/claim", {"agent": "ben"}).json["error"] == "not_waiting"
    r = hd.post("/conversations/api-1/transfer", {"agent": "amy", "to_agent": "amy"})
    assert r.status_code == 409 and r.json["error"] == "same_agent"
    r = hd.post("/conversations/api-1/transfer", {"agent": "amy", "to_agent": "ben"})
    assert r.status_code == 409 and r.json["error"] == "agent_not_online"
    # Rasa is down: the reply is refused, and the chat still counts as unanswered
    r = hd.post("/conversations/api-1/reply", {"agent": "amy", "text": "Hello!"})
    assert r.status_code == 502 and r.json["error"] == "rasa_unavailable"
    assert not hd.get("/conversations/api-1").json["live"].get("first_reply_at")
    # resolve works; resuming the bot waits in the outbox until Rasa answers
    r = hd.post("/conversations/api-1/resolve", {"agent": "amy"})
    assert r.status_code == 200 and r.json["bot_resumed"] is False
    assert hd.post("/conversations/api-1/resolve", {"agent": "amy"}).json["error"] == "already_resolved"
    hd.sweep()  # copies the events into the record
    [record] = hd.get("/conversations/api-1").json["handoffs"]
    assert record["resolved_at"] and [e["kind"] for e in record["events"]] == ["queued", "assigned", "resolved"]
    assert record["priority"] == 10


def test_queue_order_positions_and_agents(hd):
    enqueue(hd, "q-normal")
    enqueue(hd, "q-vip", priority=5, vip=True)
    enqueue(hd, "q-complaint", priority=10, category="complaint")
    waiting = hd.get("/queue").json["waiting"]
    assert [(w["conversation_id"], w["position"]) for w in waiting] == [
        ("q-complaint", 1), ("q-vip", 2), ("q-normal", 3)
    ]  # fmt: skip
    hd.post("/agents/chen/status", {"status": "online"})
    chen = hd.get("/agents/chen").json
    assert chen["load"] == 3 and chen["status"] == "online"
    assert chen["chats"] == sorted(["q-complaint", "q-vip", "q-normal"])
    assert hd.get("/agents/nobody").status_code == 404


def test_only_a_supervisor_acts_on_someone_elses_chat(hd):
    hd.post("/agents/ben/status", {"status": "online"})
    enqueue(hd, "sup-1")
    hd.post("/agents/amy/status", {"status": "online"})
    r = hd.post("/conversations/sup-1/resolve", {"agent": "chen", "as_supervisor": True})
    assert r.status_code == 403 and r.json["error"] == "not_supervisor"
    r = hd.post("/conversations/sup-1/resolve", {"agent": "amy"})
    assert r.status_code == 409 and r.json == {"error": "not_yours", "owner": "ben", "reason": r.json["reason"]}
    assert hd.post("/conversations/sup-1/resolve", {"agent": "amy", "as_supervisor": True}).status_code == 200


def test_manual_mode_through_the_api(serve_helpdesk):
    hd = serve_helpdesk(mode="manual")
    hd.post("/agents/ben/status", {"status": "online"})
    assert enqueue(hd, "m-1")["state"] == "waiting"
    assert hd.post("/conversations/m-1/claim", {"agent": "ben"}).json == {"conversation_id": "m-1", "agent": "ben"}


def test_two_apps_in_one_process_share_nothing(serve_helpdesk):
    one, two = serve_helpdesk(), serve_helpdesk()  # each on its own redis-server and SQLite file
    assert one.app.ctx.hd is not two.app.ctx.hd
    for hd in (one, two):
        hd.post("/agents/ben/status", {"status": "online"})
    assert enqueue(one, "only-in-one") == {"queued": True, "state": "assigned", "agent": "ben", "position": 0}
    one.sweep()
    two.sweep()
    assert one.get("/agents/ben").json["chats"] == ["only-in-one"]
    assert two.get("/agents/ben").json["chats"] == []
    assert len(one.get("/conversations/only-in-one").json["handoffs"]) == 1
    r = two.get("/conversations/only-in-one")
    assert r.status_code == 404 and r.json["error"] == "not_found"
    # the same conversation through the other app is a new handoff there, and nothing moves in the first
    assert enqueue(two, "only-in-one")["queued"] is True
    assert one.get("/agents/ben").json["load"] == 1 and two.get("/agents/ben").json["load"] == 1
