"""action_session_start: what a new session keeps, and a chat the helpdesk holds stays paused."""

from __future__ import annotations

import time

from rasa_sdk import Tracker

from actions import services
from actions.sessions import ActionSessionStart
from tests.actions.trackers import SLOT_DEFAULTS, run
from tests.helpdesk.conftest import handoff

HOUR = 3600.0


def old_session(sender: str, slots: dict, proved_h_ago: float | None = None, paused: bool = False) -> Tracker:
    events = [{"event": "user", "text": "hi", "timestamp": time.time() - 30 * HOUR}]
    if proved_h_ago is not None:
        events.append({"event": "slot", "name": "verified_orders", "value": slots.get("verified_orders"),
                       "timestamp": time.time() - proved_h_ago * HOUR})  # fmt: skip
    return Tracker(sender, {**SLOT_DEFAULTS, **slots}, {}, events, paused, None, {}, "action_listen")


def names(events: list) -> list:
    return [e["event"] if e["event"] != "slot" else (e["name"], e["value"]) for e in events]


PROVED = {"language": "zh", "verified_orders": ["A10002"], "order_number": "A10002", "ownership_failures": 1.0}


async def test_a_new_session_keeps_the_language_and_a_recent_proof(action_env):
    _, events = await run(ActionSessionStart(), old_session("s-1", PROVED, proved_h_ago=2))
    assert names(events) == ["session_started", ("language", "zh"), ("verified_orders", ["A10002"]),
                             ("order_number", "A10002"), ("ownership_failures", 1.0), "action"]  # fmt: skip
    assert events[-1]["name"] == "action_listen"


async def test_a_proof_older_than_keep_proof_h_is_forgotten(action_env):
    _, events = await run(ActionSessionStart(), old_session("s-2", PROVED, proved_h_ago=25))
    assert names(events) == ["session_started", ("language", "zh"), "action"]


async def test_an_unproven_order_number_does_not_carry_over(action_env):
    slots = {"language": "en", "verified_orders": ["A10002"], "order_number": "A10001"}
    _, events = await run(ActionSessionStart(), old_session("s-3", slots, proved_h_ago=1))
    assert ("order_number", "A10001") not in names(events)


async def test_a_chat_the_helpdesk_holds_stays_paused(action_env):
    services.services().desk.queue.enqueue(handoff("s-4"))
    _, events = await run(ActionSessionStart(), old_session("s-4", {}))
    assert names(events) == ["session_started", "pause", "action"]
    _, events = await run(ActionSessionStart(), old_session("s-5", {}, paused=True))
    assert "pause" not in names(events)  # the helpdesk holds nothing for s-5: its pause had ended there


async def test_without_redis_the_old_pause_stands(action_env, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    services.reset()
    _, events = await run(ActionSessionStart(), old_session("s-6", {}, paused=True))
    assert names(events) == ["session_started", "pause", "action"]
    _, events = await run(ActionSessionStart(), old_session("s-7", {}, paused=False))
    assert names(events) == ["session_started", "action"]
