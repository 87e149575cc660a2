"""Return eligibility from the shop rules and the order's real dates and items."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet
from sqlalchemy import delete, select, update

from actions.dialogue import ActionConfirm
from actions.order_info import ActionOrderInfo
from actions.returns import ActionReturnPolicy
from tests.actions.trackers import responses, run, tracker


@pytest.fixture
def restore_orders(shop_db):
    """Put A10001 and A10006 back as seeded after a test that changes them."""
    from shop.db import make_engine, session_maker
    from shop.models import Order, ReturnRequest

    yield
    with session_maker(make_engine(shop_db)).begin() as s:
        ids = s.execute(select(Order.id).where(Order.number == "A10001")).scalars().all()
        s.execute(delete(ReturnRequest).where(ReturnRequest.order_id.in_(ids)))
        s.execute(update(Order).where(Order.number == "A10001").values(status="delivered"))
        s.execute(update(Order).where(Order.number == "A10006").values(status="paid"))


def proven(number: str, **slots):
    return {"order_number": number, "verified_orders": [number], **slots}


async def test_policy_comes_from_shop_config(action_env):
    msgs, _ = await run(ActionReturnPolicy(), tracker("return policy?", "return_policy", slots={"language": "zh"}))
    assert responses(msgs) == ["utter_return_policy"]
    m = msgs[0]
    assert m["window_days"] == 7 and m["refund_days"] == 5
    assert "内衣" in m["non_returnable"] and "未穿着" in m["condition"]


async def test_recent_delivery_is_eligible_and_yes_opens_one_return(action_env, restore_orders):
    from actions import services

    msgs, events = await run(ActionOrderInfo(), tracker("return A10001", "return_request", slots=proven("A10001")))
    assert responses(msgs) == ["utter_return_eligible"]
    assert SlotSet("pending_confirmation", "return:A10001") in events
    yes = tracker("yes", "affirm", slots=proven("A10001", pending_confirmation="return:A10001"))
    msgs, events = await run(ActionConfirm(), yes)
    assert responses(msgs) == ["utter_return_created"]
    assert msgs[0]["email_masked"] == "li***@example.com"
    assert services.services().repository.find_order("A10001").status == "return_requested"
    # a second yes (double click, retry) does not open a second return
    msgs, _ = await run(ActionConfirm(), yes)
    assert responses(msgs) == ["utter_return_already_open"]


async def test_window_passed(action_env):
    msgs, _ = await run(ActionOrderInfo(), tracker("return A10004", "return_request", slots=proven("A10004")))
    assert responses(msgs) == ["utter_return_window_passed"]
    assert msgs[0]["window_days"] == 7


async def test_underwear_is_not_returnable(action_env):
    msgs, _ = await run(ActionOrderInfo(), tracker("return A10005", "return_request", slots=proven("A10005")))
    assert responses(msgs) == ["utter_return_not_returnable"]
    assert msgs[0]["product"] == "Lace Underwear Set"


async def test_not_delivered_yet(action_env):
    msgs, _ = await run(ActionOrderInfo(), tracker("exchange A10002", "exchange_request", slots=proven("A10002")))
    assert responses(msgs) == ["utter_return_not_delivered"]


async def test_refund_status(action_env):
    msgs, _ = await run(ActionOrderInfo(), tracker("refund A10009?", "refund_status", slots=proven("A10009")))
    assert responses(msgs) == ["utter_order_refunded"] and msgs[0]["refund_amount"] == "$69.00"
    msgs, _ = await run(ActionOrderInfo(), tracker("refund A10008?", "refund_status", slots=proven("A10008")))
    assert responses(msgs) == ["utter_refund_pending"]


async def test_yes_without_a_proposal_or_for_an_unproven_order_does_nothing(action_env):
    msgs, _ = await run(ActionConfirm(), tracker("yes", "affirm"))
    assert responses(msgs) == ["utter_anything_else"]
    forged = tracker("yes", "affirm", slots={"pending_confirmation": "cancel:A10006"})
    msgs, _ = await run(ActionConfirm(), forged)
    assert responses(msgs) == ["utter_anything_else"]


async def test_deny_keeps_the_order(action_env):
    no = tracker("no", "deny", slots=proven("A10006", pending_confirmation="cancel:A10006"))
    msgs, events = await run(ActionConfirm(), no)
    assert responses(msgs) == ["utter_cancel_kept"]
    assert events == [SlotSet("pending_confirmation", None)]


async def test_yes_cancels_an_unshipped_order_once(action_env, restore_orders):
    from actions import services

    yes = tracker("yes", "affirm", slots=proven("A10006", pending_confirmation="cancel:A10006"))
    msgs, _ = await run(ActionConfirm(), yes)
    assert responses(msgs) == ["utter_cancel_done_paid"] and msgs[0]["refund_days"] == 5
    assert services.services().repository.find_order("A10006").status == "cancelled"
    msgs, _ = await run(ActionConfirm(), yes)
    assert responses(msgs) == ["utter_cancel_not_possible"]


async def test_policy_question_about_a_proven_order_gives_its_dates(action_env):
    """ "Can I still return it?" about an order the buyer proved: the general rules, then that order's dates."""
    msgs, _ = await run(ActionReturnPolicy(), tracker("can i still return it", "return_policy", slots=proven("A10004")))
    assert responses(msgs) == ["utter_return_policy", "utter_return_window_for_order_closed"]
    assert msgs[1]["order_number"] == "A10004" and msgs[1]["deadline"] not in ("", "-")
    zh = tracker("还能退吗", "return_policy", slots=proven("A10001", language="zh"))
    msgs, _ = await run(ActionReturnPolicy(), zh)
    assert responses(msgs) == ["utter_return_policy", "utter_return_window_for_order_open"]
    assert "月" in msgs[1]["deadline"]
    # an order number the buyer has not proven gets the general rules only
    unproven = {"order_number": "A10004", "verified_orders": []}
    msgs, _ = await run(ActionReturnPolicy(), tracker("return rules?", "return_policy", slots=unproven))
    assert responses(msgs) == ["utter_return_policy"]
