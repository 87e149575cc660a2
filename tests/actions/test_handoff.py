"""Complaints and requests for a person reach the real Redis queue and pause the bot."""

from __future__ import annotations

from actions import services
from actions.handoff import ActionComplaint, ActionFallback, ActionHandoff
from tests.actions.trackers import responses, run, tracker, user_event


async def test_complaint_apologises_pauses_and_queues_with_priority(action_env):
    t = tracker("the dress arrived torn 😡", "complaint", slots={"language": "en"}, sender_id="c-1")
    msgs, events = await run(ActionComplaint(), t)
    assert responses(msgs) == ["utter_complaint_apology", "utter_handoff"]
    assert events == [{"event": "pause", "timestamp": None}]
    rec = services.handoff_queue().get("c-1")
    assert rec["category"] == "complaint" and rec["priority"] == "10" and rec["state"] == "waiting"
    assert "arrived torn" in rec["summary"] and rec["language"] == "en"


async def test_vip_complaint_jumps_the_queue(action_env):
    await run(ActionHandoff(), tracker("human please", "request_human", sender_id="plain-1"))
    vip = tracker(
        "broken", "complaint", slots={"order_number": "A10004", "verified_orders": ["A10004"]}, sender_id="vip-1"
    )
    await run(ActionComplaint(), vip)
    queue = services.handoff_queue()
    assert queue.get("vip-1")["priority"] == "15" and queue.get("vip-1")["order_number"] == "A10004"
    assert queue.waiting().index("vip-1") < queue.waiting().index("plain-1")


async def test_second_enqueue_is_a_no_op(action_env):
    t = tracker("agent", "request_human", sender_id="h-2")
    await run(ActionHandoff(), t)
    await run(ActionHandoff(), t)
    assert services.handoff_queue().waiting().count("h-2") == 1


async def test_two_failures_in_a_row_hand_off(action_env):
    first = tracker("blorp", "nlu_fallback", sender_id="f-1")
    msgs, events = await run(ActionFallback(), first)
    assert responses(msgs) == ["utter_default"] and events == []
    second = tracker("zzz qqq", "out_of_scope", history=[user_event("blorp", "nlu_fallback")], sender_id="f-1")
    msgs, events = await run(ActionFallback(), second)
    assert responses(msgs) == ["utter_fallback_handoff", "utter_handoff"]
    assert services.handoff_queue().get("f-1")["reason"] == "bot_failed"


async def test_an_understood_turn_resets_the_count(action_env):
    history = [user_event("blorp", "nlu_fallback"), user_event("hi", "greet")]
    msgs, _ = await run(ActionFallback(), tracker("zzz", "nlu_fallback", history=history))
    assert responses(msgs) == ["utter_default"]


async def test_queue_down_tells_the_buyer_another_way(action_env, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    services.reset()
    msgs, events = await run(ActionHandoff(), tracker("人工", "request_human", slots={"language": "zh"}))
    assert responses(msgs) == ["utter_handoff_unavailable"] and events == []
    assert msgs[0]["support_email"] == "help@lilyscloset.example"
