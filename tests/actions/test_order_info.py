"""Order questions behind the ownership check, against a real database and the carrier service."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions.order_info import ActionOrderInfo
from shop.trust import claim
from tests.actions.trackers import ent, responses, run, tracker, user_event
from tests.conftest import CHANNEL_SECRET

LILY = {"email": "lily.chen@example.com", "phone": "13812345678"}


async def test_no_order_number_asks_for_it(action_env):
    msgs, events = await run(ActionOrderInfo(), tracker("where is my order", "order_status"))
    assert responses(msgs) == ["utter_ask_order_number"]
    assert events == [SlotSet("pending_topic", "order_status")]


async def test_order_found_but_not_proven_asks_for_contact_and_reveals_nothing(action_env):
    t = tracker("where is my order A10002", "order_status", [ent("order_number", "A10002")], {"order_number": "A10002"})
    msgs, events = await run(ActionOrderInfo(), t)
    assert responses(msgs) == ["utter_ask_contact"]
    assert set(msgs[0].keys()) >= {"order_number"} and "items" not in msgs[0]
    assert events == [SlotSet("pending_topic", "order_status")]


async def test_unknown_order(action_env):
    t = tracker("A19999", "inform_order_number", slots={"order_number": "A19999"})
    msgs, events = await run(ActionOrderInfo(), t)
    assert responses(msgs) == ["utter_order_not_found"]
    assert SlotSet("order_number", None) in events


async def test_matching_email_answers_pending_question_with_live_tracking(action_env):
    t = tracker(
        "lily.chen@example.com",
        "inform_email",
        [ent("email", LILY["email"])],
        {"order_number": "A10002", "email": LILY["email"], "pending_topic": "order_status"},
    )
    msgs, events = await run(ActionOrderInfo(), t)
    assert responses(msgs) == ["utter_order_shipped"]
    m = msgs[0]
    assert m["order_number"] == "A10002" and m["carrier"] == "SwiftParcel"
    assert m["tracking_no"].startswith("SP") and "Linen Shirt" in m["items"]
    assert m["tracking_status"] in ("in transit", "picked up by the carrier")  # from the carrier, not a canned text
    assert SlotSet("verified_orders", ["A10002"]) in events
    assert events[-1] == SlotSet("pending_topic", None)


async def test_phone_in_another_format_matches(action_env):
    t = tracker(
        "+1 (415) 555 0132",
        "inform_phone",
        slots={"order_number": "A10006", "phone": "+1 (415) 555 0132", "pending_topic": "order_status"},
    )
    msgs, _ = await run(ActionOrderInfo(), t)
    assert responses(msgs) == ["utter_order_paid"]
    assert msgs[0]["dispatch_hours"] == 48 and msgs[0]["min_days"] == 5  # canada, from shop.yml


async def test_someone_elses_email_is_refused_and_counted(action_env):
    t = tracker(
        "my email is james.miller@example.com",
        "inform_email",
        slots={"order_number": "A10001", "email": "james.miller@example.com", "pending_topic": "order_status"},
    )
    msgs, events = await run(ActionOrderInfo(), t)
    assert responses(msgs) == ["utter_ownership_mismatch"]
    assert msgs[0]["tries_left"] == 2
    assert SlotSet("ownership_failures", 1) in events and SlotSet("email", None) in events
    assert all("items" not in m for m in msgs)


async def test_third_failure_hands_off_to_a_human(action_env):
    from actions import services

    t = tracker(
        "x@y.com",
        "inform_email",
        slots={
            "order_number": "A10001",
            "email": "x@y.com",
            "ownership_failures": 2.0,
            "pending_topic": "order_status",
        },
        sender_id="thief-1",
    )
    msgs, events = await run(ActionOrderInfo(), t)
    assert responses(msgs) == ["utter_ownership_handoff", "utter_handoff", "utter_handoff_busy"]
    assert events[-1] == {"event": "pause", "timestamp": None}
    queued = services.services().desk.queue.get("thief-1")
    assert queued["reason"] == "ownership_failed" and queued["state"] == "waiting"
    assert queued["order_number"] == ""  # never proven, so not attached


async def test_verified_channel_customer_needs_no_email(action_env):
    meta = claim(CHANNEL_SECRET, "buyer-9", "mkt-buyer-1001")
    t = tracker("where is A10001", "order_status", slots={"order_number": "A10001"}, metadata=meta, sender_id="buyer-9")
    msgs, _ = await run(ActionOrderInfo(), t)
    assert responses(msgs) == ["utter_order_delivered"]


async def test_only_the_current_message_proves_the_buyer(action_env):
    # a signed marketplace message earlier in the conversation, then a message that came another way
    meta = claim(CHANNEL_SECRET, "buyer-9", "mkt-buyer-1001")
    earlier = user_event("hi", "greet", None, meta)
    t = tracker("where is A10001", "order_status", slots={"order_number": "A10001"}, history=[earlier],
                sender_id="buyer-9")  # fmt: skip
    msgs, _ = await run(ActionOrderInfo(), t)
    assert responses(msgs) == ["utter_ask_contact"]


async def test_forged_channel_claim_is_ignored(action_env):
    meta = {"kefu_verified": {"customer_id": "mkt-buyer-1001", "sig": "0" * 64}}
    t = tracker("where is A10001", "order_status", slots={"order_number": "A10001"}, metadata=meta)
    msgs, _ = await run(ActionOrderInfo(), t)
    assert responses(msgs) == ["utter_ask_contact"]


async def test_tracking_events_come_from_the_carrier(action_env):
    t = tracker(
        "tracking for A10010",
        "track_order",
        slots={"order_number": "A10010", "verified_orders": ["A10010"], "language": "zh"},
    )
    msgs, _ = await run(ActionOrderInfo(), t)
    assert responses(msgs) == ["utter_tracking_events"]
    assert "快递已揽收" in msgs[0]["events"] and "Shenzhen hub" in msgs[0]["events"]


async def test_carrier_down_gives_last_known_status_quickly(action_env, misbehave):
    import time

    misbehave(delay_s=10)
    t = tracker("where is A10002", "track_order", slots={"order_number": "A10002", "verified_orders": ["A10002"]})
    started = time.monotonic()
    msgs, _ = await run(ActionOrderInfo(), t)
    assert time.monotonic() - started < 3.5
    assert responses(msgs) == ["utter_tracking_unavailable"]
    assert msgs[0]["tracking_status"] == "in transit"


async def test_carrier_5xx_gives_last_known_status(action_env, misbehave):
    misbehave(fail_status=503)
    t = tracker("status A10002", "order_status", slots={"order_number": "A10002", "verified_orders": ["A10002"]})
    msgs, _ = await run(ActionOrderInfo(), t)
    assert responses(msgs) == ["utter_tracking_unavailable"]


async def test_shipping_time_without_order_uses_shop_policy(action_env):
    msgs, events = await run(ActionOrderInfo(), tracker("how long does shipping take", "shipping_time"))
    assert responses(msgs) == ["utter_shipping_time"] and events == []
    assert msgs[0]["dispatch_hours"] == 48 and "3-5" in msgs[0]["regions"]


async def test_payment_failed_reason_from_the_order(action_env):
    t = tracker(
        "payment failed for A10003", "payment_failed", slots={"order_number": "A10003", "verified_orders": ["A10003"]}
    )
    msgs, _ = await run(ActionOrderInfo(), t)
    assert responses(msgs) == ["utter_payment_failed_order"]
    assert "bank declined" in msgs[0]["advice"]


async def test_cancel_asks_to_confirm_and_address_change_hands_off(action_env):
    t = tracker("cancel A10006", "cancel_order", slots={"order_number": "A10006", "verified_orders": ["A10006"]})
    msgs, events = await run(ActionOrderInfo(), t)
    assert responses(msgs) == ["utter_cancel_confirm"]
    assert SlotSet("pending_confirmation", "cancel:A10006") in events
    t = tracker("cancel A10002", "cancel_order", slots={"order_number": "A10002", "verified_orders": ["A10002"]})
    msgs, _ = await run(ActionOrderInfo(), t)
    assert responses(msgs) == ["utter_cancel_too_late"]
    t = tracker(
        "change address A10002", "change_address", slots={"order_number": "A10002", "verified_orders": ["A10002"]}
    )
    msgs, _ = await run(ActionOrderInfo(), t)
    assert responses(msgs) == ["utter_change_address_too_late"]
