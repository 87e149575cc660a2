"""Complaints and requests for a person reach the real Redis queue and pause the bot."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from actions import services
from actions.dialogue import ActionRating
from actions.handoff import ActionComplaint, ActionFallback, ActionHandoff, ActionHandoffResolved, ordinal
from shop.config import WEEKDAYS
from tests.actions.trackers import responses, run, tracker, user_event
from tests.helpdesk.conftest import agent_profile
from tests.shop_files import write_shop


async def test_complaint_apologises_pauses_and_queues_with_priority(action_env):
    t = tracker("the dress arrived torn 😡", "complaint", slots={"language": "en"}, sender_id="c-1")
    msgs, events = await run(ActionComplaint(), t)
    assert responses(msgs) == ["utter_complaint_apology", "utter_handoff", "utter_handoff_busy"]
    assert events == [{"event": "pause", "timestamp": None}]
    rec = services.services().desk.queue.get("c-1")
    assert rec["category"] == "complaint" and rec["priority"] == "10" and rec["state"] == "waiting"
    assert "arrived torn" in rec["summary"] and rec["language"] == "en"


async def test_vip_complaint_jumps_the_queue(action_env):
    await run(ActionHandoff(), tracker("human please", "request_human", sender_id="plain-1"))
    vip = tracker(
        "broken", "complaint", slots={"order_number": "A10004", "verified_orders": ["A10004"]}, sender_id="vip-1"
    )
    await run(ActionComplaint(), vip)
    desk = services.services().desk
    assert desk.queue.get("vip-1")["priority"] == "15" and desk.queue.get("vip-1")["order_number"] == "A10004"
    assert desk.queue.waiting().index("vip-1") < desk.queue.waiting().index("plain-1")


async def test_second_enqueue_is_a_no_op(action_env):
    t = tracker("agent", "request_human", sender_id="h-2")
    await run(ActionHandoff(), t)
    await run(ActionHandoff(), t)
    assert services.services().desk.queue.waiting().count("h-2") == 1


async def test_two_failures_in_a_row_hand_off(action_env):
    first = tracker("blorp", "nlu_fallback", sender_id="f-1")
    msgs, events = await run(ActionFallback(), first)
    assert responses(msgs) == ["utter_default"] and events == []
    second = tracker("zzz qqq", "out_of_scope", history=[user_event("blorp", "nlu_fallback")], sender_id="f-1")
    msgs, events = await run(ActionFallback(), second)
    assert responses(msgs) == ["utter_fallback_handoff", "utter_handoff", "utter_handoff_busy"]
    assert services.services().desk.queue.get("f-1")["reason"] == "bot_failed"


async def test_an_understood_turn_resets_the_count(action_env):
    history = [user_event("blorp", "nlu_fallback"), user_event("hi", "greet")]
    msgs, _ = await run(ActionFallback(), tracker("zzz", "nlu_fallback", history=history))
    assert responses(msgs) == ["utter_default"]


async def test_a_low_confidence_guess_counts_as_not_understood(action_env):
    """ "咋回事" guessed as goodbye with 0.31, then gibberish: two unclear messages, a person takes over."""
    history = [user_event("咋回事", "goodbye", confidence=0.31)]
    msgs, _ = await run(ActionFallback(), tracker("啊吧啊吧", "nlu_fallback", history=history, sender_id="f-2"))
    assert responses(msgs)[0] == "utter_fallback_handoff"
    # a confident guess in between breaks the streak
    history = [user_event("咋回事", "goodbye", confidence=0.31), user_event("发货没", "order_status", confidence=0.97)]
    msgs, _ = await run(ActionFallback(), tracker("啊吧啊吧", "nlu_fallback", history=history, sender_id="f-3"))
    assert responses(msgs) == ["utter_default"]


async def test_messages_before_a_handoff_do_not_count_after_it(action_env):
    history = [user_event("blorp", "nlu_fallback"), {"event": "pause"}, {"event": "resume"}]
    msgs, _ = await run(ActionFallback(), tracker("zzz", "nlu_fallback", history=history, sender_id="f-4"))
    assert responses(msgs) == ["utter_default"]


async def test_queue_down_tells_the_buyer_another_way(action_env, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    services.reset()
    msgs, events = await run(ActionHandoff(), tracker("人工", "request_human", slots={"language": "zh"}))
    assert responses(msgs) == ["utter_handoff_unavailable"] and events == []
    assert msgs[0]["support_email"] == "help@lilyscloset.example"


async def test_an_agent_with_room_gets_the_chat_at_once_and_the_buyer_hears_their_name(action_env):
    desk = services.services().desk
    desk.agents.register("amy", agent_profile(2, name="Amy Zhou"))
    desk.agents.set_status("amy", "online")
    zh = tracker("人工", "request_human", slots={"language": "zh"}, sender_id="a-1")
    msgs, events = await run(ActionHandoff(), zh)
    assert responses(msgs) == ["utter_handoff", "utter_handoff_assigned"] and msgs[1]["agent_name"] == "Amy Zhou"
    assert desk.queue.get("a-1")["agent"] == "amy" and events == [{"event": "pause", "timestamp": None}]


async def test_when_everyone_is_busy_the_buyer_hears_their_place_and_the_wait(action_env):
    desk = services.services().desk
    desk.agents.register("amy", agent_profile(1))
    desk.agents.set_status("amy", "online")
    await run(ActionHandoff(), tracker("agent", "request_human", sender_id="first"))  # takes amy's only slot
    await run(ActionHandoff(), tracker("agent", "request_human", sender_id="second"))
    msgs, _ = await run(ActionHandoff(), tracker("human please", "request_human", sender_id="third"))
    busy = msgs[-1]
    assert busy["response"] == "utter_handoff_busy" and busy["position"] == "2nd"
    assert busy["eta"] == 8  # 2 chats x 240 s default handling time / 1 online slot
    zh, _ = await run(ActionHandoff(), tracker("人工", "request_human", slots={"language": "zh"}, sender_id="fourth"))
    assert zh[-1]["position"] == 3 and zh[-1]["eta"] == 12


async def test_outside_business_hours_the_buyer_hears_when_the_shop_opens(action_env, tmp_path, monkeypatch):
    today = WEEKDAYS[datetime.now(ZoneInfo("Asia/Shanghai")).weekday()]
    others = [d for d in WEEKDAYS if d != today]
    path = write_shop(tmp_path, lambda r: r["business_hours"].update(days=others), name="closed-today.yml")
    monkeypatch.setenv("KEFU_SHOP_CONFIG", str(path))
    services.reset()
    msgs, events = await run(ActionHandoff(), tracker("agent", "request_human", sender_id="night-1"))
    assert responses(msgs) == ["utter_handoff", "utter_handoff_after_hours"]
    assert msgs[-1]["opens"] == "tomorrow at 09:00"
    assert services.services().desk.queue.waiting() == ["night-1"]  # the message waits for the morning


@pytest.mark.parametrize("n,text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                                    (13, "13th"), (21, "21st"), (102, "102nd")])  # fmt: skip
def test_ordinal(n, text):
    assert ordinal(n) == text


async def test_after_resolve_the_bot_is_back_asks_a_rating_and_stores_it(action_env):
    desk = services.services().desk
    desk.agents.register("amy", agent_profile(1))
    desk.agents.set_status("amy", "online")
    await run(ActionComplaint(), tracker("torn!", "complaint", sender_id="r-1"))
    desk.queue.resolve("r-1", "amy")
    msgs, events = await run(ActionHandoffResolved(), tracker("", "", sender_id="r-1"))
    assert responses(msgs) == ["utter_handoff_resolved", "utter_ask_rating"]
    assert [e["event"] for e in events] == ["resume", "slot", "action"] and events[1]["value"] is True
    rated = tracker("5", "rate", slots={"awaiting_rating": True}, sender_id="r-1")
    msgs, events = await run(ActionRating(), rated)
    assert responses(msgs) == ["utter_rating_thanks"]
    assert desk.queue.get("r-1")["rating"] == "5"
