"""Every transition of the live queue on a real Redis: modes, timers, presence and the edges."""

from __future__ import annotations

import multiprocessing as mp
from collections import Counter

import pytest
import redis

from helpdesk import keys
from helpdesk.desk import Desk
from helpdesk.scripts import HandoffError, LuaScripts
from tests.helpdesk.conftest import agent_profile, handoff
from tests.helpdesk.procs import run_processes


def online(desk: Desk, *agents: str) -> None:
    for a in agents:
        desk.agents.set_status(a, "online")


# -- enqueue -------------------------------------------------------------------------------
def test_priority_then_first_come_first_served(make_desk):
    desk = make_desk()
    desk.queue.enqueue(handoff("late-normal", 0, 200))
    desk.queue.enqueue(handoff("early-normal", 0, 100))
    desk.queue.enqueue(handoff("complaint", 10, 300))
    assert desk.queue.waiting() == ["complaint", "early-normal", "late-normal"]
    assert desk.queue.get("complaint")["state"] == "waiting" and desk.queue.get("complaint")["order_number"] == ""
    assert desk.queue.position("late-normal") == 3


def test_enqueue_twice_is_a_no_op(make_desk):
    desk = make_desk()
    assert desk.queue.enqueue(handoff("c1", 0, 100)).queued is True
    again = desk.queue.enqueue(handoff("c1", 10, 200))
    assert again.queued is False and again.state == "waiting" and again.position == 1
    assert desk.queue.waiting() == ["c1"] and desk.queue.get("c1")["priority"] == "0"


def test_enqueue_while_assigned_is_a_no_op_and_after_resolve_queues_again(make_desk):
    desk = make_desk(a=agent_profile())
    online(desk, "a")
    first = desk.queue.enqueue(handoff("c1"))
    assert (first.state, first.agent, first.position) == ("assigned", "a", 0)
    first_id = desk.queue.get("c1")["handoff_id"]
    assert desk.queue.enqueue(handoff("c1")).queued is False
    assert desk.queue.get("c1")["handoff_id"] == first_id  # the no-op kept the handoff
    desk.queue.resolve("c1", "a")
    second = desk.queue.enqueue(handoff("c1"))
    assert second.queued and second.agent == "a"
    assert desk.queue.get("c1")["handoff_id"] not in ("", first_id)  # a new handoff, a new id


# -- round robin ---------------------------------------------------------------------------
def test_round_robin_spreads_evenly_and_respects_capacity(make_desk):
    desk = make_desk(a=agent_profile(3), b=agent_profile(3), c=agent_profile(3))
    online(desk, "a", "b", "c")
    owners = [desk.queue.enqueue(handoff(f"c{i}", created_at=i + 1)).agent for i in range(10)]
    assert Counter(owners[:9]) == {"a": 3, "b": 3, "c": 3}
    assert all(len(set(owners[i : i + 3])) == 3 for i in (0, 3, 6))  # each round gives everyone one
    assert owners[9] == "" and desk.queue.waiting() == ["c9"]  # everyone full: it waits
    desk.queue.resolve("c0", owners[0])  # a slot frees: the first in line gets it at once
    assert desk.queue.get("c9")["agent"] == owners[0] and desk.queue.waiting() == []


def test_no_agents_at_all_and_capacity_zero_keep_the_chat_waiting(make_desk):
    desk = make_desk()
    assert desk.queue.enqueue(handoff("c1")).state == "waiting"
    desk.agents.register("sup", agent_profile(capacity=0))
    online(desk, "sup")
    assert desk.queue.get("c1")["state"] == "waiting"
    with pytest.raises(HandoffError) as err:
        desk.queue.claim("c1", "sup")
    assert err.value.code == "agent_full"


def test_away_agents_get_no_new_chats_but_keep_theirs(make_desk):
    desk = make_desk(a=agent_profile(), b=agent_profile())
    online(desk, "a", "b")
    owner = desk.queue.enqueue(handoff("c1")).agent
    desk.agents.set_status(owner, "away")
    other = "b" if owner == "a" else "a"
    assert desk.queue.enqueue(handoff("c2")).agent == other
    assert desk.queue.get("c1")["agent"] == owner
    desk.agents.set_status(other, "away")
    assert desk.queue.enqueue(handoff("c3")).state == "waiting"
    desk.agents.set_status(other, "online")  # back: takes the waiting chat at once
    assert desk.queue.get("c3")["agent"] == other


def test_complaints_and_vips_are_served_first(make_desk):
    desk = make_desk(a=agent_profile(1))
    desk.queue.enqueue(handoff("normal", 0, 100))
    desk.queue.enqueue(handoff("vip", 5, 200, vip=True))
    desk.queue.enqueue(handoff("complaint", 10, 300, category="complaint"))
    online(desk, "a")
    assert desk.queue.get("complaint")["agent"] == "a"
    assert desk.queue.waiting() == ["vip", "normal"]


# -- smart ---------------------------------------------------------------------------------
def test_smart_matches_language_then_senior_for_vip_then_least_load(make_desk):
    desk = make_desk(
        "smart",
        en_junior=agent_profile(3, languages="en"),
        zh_junior=agent_profile(3, languages="zh", categories="order,returns"),
        zh_senior=agent_profile(3, languages="zh,en", tier="senior"),
    )
    online(desk, "en_junior", "zh_junior", "zh_senior")
    assert desk.queue.enqueue(handoff("zh-1", language="zh", category="order")).agent == "zh_junior"
    assert desk.queue.enqueue(handoff("en-vip", language="en", vip=True)).agent == "zh_senior"
    assert desk.queue.enqueue(handoff("en-1", language="en")).agent == "en_junior"
    # zh_junior has 1, zh_senior has 1: the category decides
    assert desk.queue.enqueue(handoff("zh-2", language="zh", category="returns")).agent == "zh_junior"
    # now zh_junior has 2, zh_senior 1: least load wins over the category
    assert desk.queue.enqueue(handoff("zh-3", language="zh", category="order")).agent == "zh_senior"
    assert desk.queue.enqueue(handoff("zh-complaint", language="zh", category="complaint")).agent == "zh_senior"


def test_smart_falls_back_to_another_language_rather_than_leave_the_buyer_waiting(make_desk):
    desk = make_desk("smart", en_only=agent_profile(1, languages="en"))
    online(desk, "en_only")
    assert desk.queue.enqueue(handoff("zh-1", language="zh")).agent == "en_only"


# -- manual --------------------------------------------------------------------------------
def test_manual_mode_assigns_nothing_until_claimed(make_desk):
    desk = make_desk("manual", a=agent_profile(1), b=agent_profile(1))
    online(desk, "a", "b")
    assert desk.queue.enqueue(handoff("c1", created_at=1)).state == "waiting"
    desk.queue.enqueue(handoff("c2", created_at=2))
    desk.queue.claim("c2", "a")
    assert desk.queue.get("c2")["agent"] == "a" and desk.queue.waiting() == ["c1"]
    for cid, aid, code in [("c2", "b", "not_waiting"), ("c1", "a", "agent_full"), ("nope", "b", "not_found"),
                           ("c1", "ghost", "unknown_agent")]:  # fmt: skip
        with pytest.raises(HandoffError) as err:
            desk.queue.claim(cid, aid)
        assert err.value.code == code
    desk.agents.set_status("b", "offline")
    with pytest.raises(HandoffError) as err:
        desk.queue.claim("c1", "b")
    assert err.value.code == "agent_not_online"


# -- reply, transfer, resolve --------------------------------------------------------------
def test_only_the_owner_replies_and_resolves(make_desk):
    desk = make_desk(a=agent_profile(), b=agent_profile())
    online(desk, "a")
    desk.queue.enqueue(handoff("c1"))
    online(desk, "b")
    for call in (
        lambda: desk.queue.reply("c1", "b"),
        lambda: desk.queue.resolve("c1", "b"),
        lambda: desk.queue.transfer("c1", "b", "b"),
    ):
        with pytest.raises(HandoffError) as err:
            call()
        assert err.value.code == "not_yours" and err.value.owner == "a"
    desk.queue.reply("c1", "a")
    assert desk.queue.get("c1")["first_reply_at"] != ""
    assert desk.queue.resolve("c1", "b", force=True) == "a"  # a supervisor may close it
    with pytest.raises(HandoffError) as err:
        desk.queue.resolve("c1", "a")
    assert err.value.code == "already_resolved"


def test_resolve_of_an_unassigned_chat_is_refused(make_desk):
    desk = make_desk()
    desk.queue.enqueue(handoff("c1"))
    with pytest.raises(HandoffError) as err:
        desk.queue.resolve("c1", "a")
    assert err.value.code == "not_assigned"
    assert desk.queue.waiting() == ["c1"]


def test_transfer_to_an_agent_to_oneself_and_to_a_group(make_desk):
    desk = make_desk(
        a=agent_profile(2, groups="presales"), b=agent_profile(1, groups="after_sales"), c=agent_profile(1)
    )
    online(desk, "a")
    desk.queue.enqueue(handoff("c1"))
    with pytest.raises(HandoffError) as err:
        desk.queue.transfer("c1", "a", to_agent="a")
    assert err.value.code == "same_agent"
    with pytest.raises(HandoffError) as err:
        desk.queue.transfer("c1", "a", to_agent="b")
    assert err.value.code == "agent_not_online"
    online(desk, "b", "c")
    assert desk.queue.transfer("c1", "a", to_agent="b") == "b"
    assert desk.agents.get("a")["load"] == 0 and desk.agents.get("b")["chats"] == ["c1"]
    with pytest.raises(HandoffError) as err:
        desk.queue.transfer("c1", "b", to_group="nobody")
    assert err.value.code == "unknown_group"
    # to a group whose only member is full: it waits, at the front, for that group only
    desk.queue.enqueue(handoff("c2", created_at=1))  # goes to c (rotation) ...
    assert desk.queue.get("c2")["agent"] == "c"
    desk.queue.transfer("c1", "b", to_group="presales")
    assert desk.queue.get("c1")["agent"] == "a"
    desk.agents.set_status("a", "away")
    desk.queue.transfer("c1", "a", to_group="after_sales")
    assert desk.queue.get("c1")["agent"] == "b"


def test_transfer_to_a_group_skips_the_agent_who_gave_it_away(make_desk):
    desk = make_desk(a=agent_profile(2, groups="g"), b=agent_profile(2, groups="g"))
    online(desk, "a")
    desk.queue.enqueue(handoff("c1"))
    assert desk.queue.transfer("c1", "a", to_group="g") == ""  # only a is online, and a gave it away
    assert desk.queue.waiting() == ["c1"] and desk.queue.get("c1")["group"] == "g"
    online(desk, "b")
    assert desk.queue.get("c1")["agent"] == "b"


# -- timers --------------------------------------------------------------------------------
def fire_due(desk: Desk) -> list:
    return [desk.timers.fire(m) for m in desk.timers.due()]


def test_unreplied_chat_is_reminded_after_5_minutes_and_moved_3_minutes_later(make_desk, clock):
    desk = make_desk(a=agent_profile(), b=agent_profile())
    online(desk, "a", "b")
    owner = desk.queue.enqueue(handoff("c1")).agent
    clock.advance(299)
    assert fire_due(desk) == []
    clock.advance(1)
    assert fire_due(desk) == [["reminded", owner]]
    clock.advance(179)
    assert fire_due(desk) == []
    clock.advance(1)
    other = "b" if owner == "a" else "a"
    assert fire_due(desk) == [["reassigned", other]]
    assert desk.agents.get(owner)["load"] == 0 and desk.queue.get("c1")["agent"] == other
    clock.advance(300)  # the new owner gets the same 5 minutes
    assert fire_due(desk) == [["reminded", other]]


def test_a_reply_stops_the_timers_and_a_new_buyer_message_starts_them(make_desk, clock):
    desk = make_desk(a=agent_profile())
    online(desk, "a")
    desk.queue.enqueue(handoff("c1"))
    clock.advance(100)
    desk.queue.reply("c1", "a")
    clock.advance(1000)
    assert fire_due(desk) == []
    assert desk.queue.buyer_message("c1") == "assigned"
    assert desk.queue.buyer_message("c1") == "assigned"  # the clock runs from the first unanswered message
    clock.advance(300)
    assert fire_due(desk) == [["reminded", "a"]]
    assert desk.queue.buyer_message("nobody") == ""


def test_reassign_with_nobody_free_keeps_the_chat_and_tries_again(make_desk, clock):
    desk = make_desk(a=agent_profile())
    online(desk, "a")
    desk.queue.enqueue(handoff("c1"))
    clock.advance(300)
    fire_due(desk)
    clock.advance(180)
    assert fire_due(desk) == [["no_one_free", "a"]]
    assert desk.queue.get("c1")["agent"] == "a"
    desk.agents.register("b", agent_profile())
    online(desk, "b")
    clock.advance(180)
    assert fire_due(desk) == [["reassigned", "b"]]


def test_a_timer_fires_once_across_processes(make_desk, clock, redis_client):
    desk = make_desk(a=agent_profile())
    online(desk, "a")
    desk.queue.enqueue(handoff("c1"))
    clock.advance(301)
    member = desk.timers.due()[0]
    results = [desk.timers.fire(member) for _ in range(5)]
    assert results.count(["reminded", "a"]) == 1 and results.count(["not_due"]) == 4
    kinds = [fields["kind"] for _, fields in redis_client.xrange(keys.EVENTS)]
    assert kinds.count("reminded") == 1


# -- presence ------------------------------------------------------------------------------
def test_silent_agent_goes_offline_and_only_unanswered_chats_go_back_to_the_front(make_desk, clock):
    desk = make_desk(a=agent_profile(3), b=agent_profile(1))
    online(desk, "a")
    desk.queue.enqueue(handoff("answered", created_at=1))
    desk.queue.enqueue(handoff("unanswered", created_at=2))
    desk.queue.reply("answered", "a")
    desk.queue.enqueue(handoff("newer", created_at=3))
    desk.agents.set_status("b", "online")
    assert desk.queue.get("newer")["agent"] == "a"  # a still had room
    desk.queue.enqueue(handoff("newest", created_at=4))  # b has room
    desk.queue.enqueue(handoff("waiting-before", created_at=5))  # everyone full
    clock.advance(30)
    desk.agents.heartbeat("b")
    clock.advance(40)
    assert desk.agents.silent(clock() - 60) == ["a"]
    assert desk.agents.expire("b", clock() - 60) is None  # b is alive
    returned = desk.agents.expire("a", clock() - 60)
    assert sorted(returned) == ["newer", "unanswered"]
    assert desk.agents.get("a")["status"] == "offline" and desk.agents.get("a")["chats"] == ["answered"]
    assert desk.queue.waiting()[:2] == ["unanswered", "newer"]  # ahead of the chat that was already waiting
    with pytest.raises(HandoffError) as err:
        desk.agents.heartbeat("a")  # a heartbeat does not bring an expired agent back: they go online again
    assert err.value.code == "offline"


def test_signing_off_returns_every_chat(make_desk):
    desk = make_desk(a=agent_profile(2), b=agent_profile(2))
    online(desk, "a")
    desk.queue.enqueue(handoff("c1"))
    desk.queue.enqueue(handoff("c2"))
    desk.queue.reply("c1", "a")
    online(desk, "b")
    assert sorted(desk.agents.set_status("a", "offline")) == ["c1", "c2"]
    assert desk.agents.get("b")["chats"] == ["c1", "c2"]


def test_unknown_agent_and_bad_status(make_desk):
    desk = make_desk()
    for call, code in [(lambda: desk.agents.set_status("ghost", "online"), "unknown_agent"),
                       (lambda: desk.agents.set_status("ghost", "asleep"), "bad_status"),
                       (lambda: desk.agents.heartbeat("ghost"), "unknown_agent")]:  # fmt: skip
        with pytest.raises(HandoffError) as err:
            call()
        assert err.value.code == code


# -- ratings, wait estimate ----------------------------------------------------------------
def test_rating_only_for_a_resolved_handoff_and_only_once(make_desk, redis_client):
    desk = make_desk(a=agent_profile())
    online(desk, "a")
    desk.queue.enqueue(handoff("c1"))
    with pytest.raises(HandoffError):
        desk.queue.rate("c1", 5)
    desk.queue.resolve("c1", "a")
    desk.queue.rate("c1", 4)
    with pytest.raises(HandoffError) as err:
        desk.queue.rate("c1", 1)
    assert err.value.code == "already_rated"
    entries = redis_client.xrange(keys.EVENTS)
    assert [f["kind"] for _, f in entries] == ["agent_online", "queued", "assigned", "resolved", "rating"]
    queued_id = entries[1][0]  # the queued event's id names the handoff in every later event
    assert {f["handoff_id"] for _, f in entries[2:]} == {queued_id} == {desk.queue.get("c1")["handoff_id"]}


def test_wait_estimate_uses_recent_handling_times_and_online_slots(make_desk, clock):
    desk = make_desk(a=agent_profile(2), b=agent_profile(2))
    assert desk.queue.eta_minutes(3, default_handle_s=240) == 3  # nobody online: 4 slots, 4 min each
    online(desk, "a")
    desk.queue.enqueue(handoff("c1"))
    clock.advance(600)
    desk.queue.resolve("c1", "a")  # 10 minutes
    assert desk.queue.eta_minutes(3, default_handle_s=240) == 15  # 3 chats x 10 min / 2 slots


# -- many processes ------------------------------------------------------------------------
def _hammer(url: str, n: int, start: mp.Event) -> None:
    desk = Desk.from_scripts(LuaScripts(redis.Redis.from_url(url, decode_responses=True)))
    start.wait()
    for i in range(n):
        desk.queue.enqueue(handoff(f"conv-{i}", priority=i % 3))


def test_many_processes_enqueue_each_conversation_once(redis_client):
    """4 processes each try to enqueue the same 300 conversations at the same moment."""
    kwargs = redis_client.connection_pool.connection_kwargs
    url = (
        f"unix://{kwargs['path']}" if "path" in kwargs else f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs['db']}"
    )
    start = mp.get_context("fork").Event()
    procs = [mp.get_context("fork").Process(target=_hammer, args=(url, 300, start)) for _ in range(4)]
    run_processes(procs, start)
    waiting = Desk.from_scripts(LuaScripts(redis_client)).queue.waiting()
    assert len(waiting) == len(set(waiting)) == 300
    queued = [f for _, f in redis_client.xrange(keys.EVENTS) if f["kind"] == "queued"]
    assert len(queued) == 300  # exactly one real enqueue per conversation
