"""Every transition of the live queue on a real Redis: modes, timers, presence and the edges."""

from __future__ import annotations

import multiprocessing as mp
from collections import Counter

import pytest
import redis

from helpdesk import keys
from helpdesk.queue import HandoffError, HandoffQueue
from tests.helpdesk.conftest import agent_profile, handoff


def online(q: HandoffQueue, *agents: str) -> None:
    for a in agents:
        q.set_status(a, "online")


# -- enqueue -------------------------------------------------------------------------------
def test_priority_then_first_come_first_served(make_queue):
    q = make_queue()
    q.enqueue(handoff("late-normal", 0, 200))
    q.enqueue(handoff("early-normal", 0, 100))
    q.enqueue(handoff("complaint", 10, 300))
    assert q.waiting() == ["complaint", "early-normal", "late-normal"]
    assert q.get("complaint")["state"] == "waiting" and q.get("complaint")["order_number"] == ""
    assert q.position("late-normal") == 3


def test_enqueue_twice_is_a_no_op(make_queue):
    q = make_queue()
    assert q.enqueue(handoff("c1", 0, 100)).queued is True
    again = q.enqueue(handoff("c1", 10, 200))
    assert again.queued is False and again.state == "waiting" and again.position == 1
    assert q.waiting() == ["c1"] and q.get("c1")["priority"] == "0"


def test_enqueue_while_assigned_is_a_no_op_and_after_resolve_queues_again(make_queue):
    q = make_queue(a=agent_profile())
    online(q, "a")
    first = q.enqueue(handoff("c1"))
    assert (first.state, first.agent, first.position) == ("assigned", "a", 0)
    assert q.enqueue(handoff("c1")).queued is False
    q.resolve("c1", "a")
    second = q.enqueue(handoff("c1"))
    assert second.queued and second.agent == "a"
    assert q.get("c1")["handoff_id"] != ""  # a new handoff, a new id


# -- round robin ---------------------------------------------------------------------------
def test_round_robin_spreads_evenly_and_respects_capacity(make_queue):
    q = make_queue(a=agent_profile(3), b=agent_profile(3), c=agent_profile(3))
    online(q, "a", "b", "c")
    owners = [q.enqueue(handoff(f"c{i}", created_at=i + 1)).agent for i in range(10)]
    assert Counter(owners[:9]) == {"a": 3, "b": 3, "c": 3}
    assert all(len(set(owners[i : i + 3])) == 3 for i in (0, 3, 6))  # each round gives everyone one
    assert owners[9] == "" and q.waiting() == ["c9"]  # everyone full: it waits
    q.resolve("c0", owners[0])  # a slot frees: the first in line gets it at once
    assert q.get("c9")["agent"] == owners[0] and q.waiting() == []


def test_no_agents_at_all_and_capacity_zero_keep_the_chat_waiting(make_queue):
    q = make_queue()
    assert q.enqueue(handoff("c1")).state == "waiting"
    q.register_agent("sup", agent_profile(capacity=0))
    online(q, "sup")
    assert q.get("c1")["state"] == "waiting"
    with pytest.raises(HandoffError) as err:
        q.claim("c1", "sup")
    assert err.value.code == "agent_full"


def test_away_agents_get_no_new_chats_but_keep_theirs(make_queue):
    q = make_queue(a=agent_profile(), b=agent_profile())
    online(q, "a", "b")
    owner = q.enqueue(handoff("c1")).agent
    q.set_status(owner, "away")
    other = "b" if owner == "a" else "a"
    assert q.enqueue(handoff("c2")).agent == other
    assert q.get("c1")["agent"] == owner
    q.set_status(other, "away")
    assert q.enqueue(handoff("c3")).state == "waiting"
    q.set_status(other, "online")  # back: takes the waiting chat at once
    assert q.get("c3")["agent"] == other


def test_complaints_and_vips_are_served_first(make_queue):
    q = make_queue(a=agent_profile(1))
    q.enqueue(handoff("normal", 0, 100))
    q.enqueue(handoff("vip", 5, 200, vip=True))
    q.enqueue(handoff("complaint", 10, 300, category="complaint"))
    online(q, "a")
    assert q.get("complaint")["agent"] == "a"
    assert q.waiting() == ["vip", "normal"]


# -- smart ---------------------------------------------------------------------------------
def test_smart_matches_language_then_senior_for_vip_then_least_load(make_queue):
    q = make_queue(
        "smart",
        en_junior=agent_profile(3, languages="en"),
        zh_junior=agent_profile(3, languages="zh", categories="order,returns"),
        zh_senior=agent_profile(3, languages="zh,en", tier="senior"),
    )
    online(q, "en_junior", "zh_junior", "zh_senior")
    assert q.enqueue(handoff("zh-1", language="zh", category="order")).agent == "zh_junior"
    assert q.enqueue(handoff("en-vip", language="en", vip=True)).agent == "zh_senior"
    assert q.enqueue(handoff("en-1", language="en")).agent == "en_junior"
    # zh_junior has 1, zh_senior has 1: the category decides
    assert q.enqueue(handoff("zh-2", language="zh", category="returns")).agent == "zh_junior"
    # now zh_junior has 2, zh_senior 1: least load wins over the category
    assert q.enqueue(handoff("zh-3", language="zh", category="order")).agent == "zh_senior"
    assert q.enqueue(handoff("zh-complaint", language="zh", category="complaint")).agent == "zh_senior"


def test_smart_falls_back_to_another_language_rather_than_leave_the_buyer_waiting(make_queue):
    q = make_queue("smart", en_only=agent_profile(1, languages="en"))
    online(q, "en_only")
    assert q.enqueue(handoff("zh-1", language="zh")).agent == "en_only"


# -- manual --------------------------------------------------------------------------------
def test_manual_mode_assigns_nothing_until_claimed(make_queue):
    q = make_queue("manual", a=agent_profile(1), b=agent_profile(1))
    online(q, "a", "b")
    assert q.enqueue(handoff("c1", created_at=1)).state == "waiting"
    q.enqueue(handoff("c2", created_at=2))
    q.claim("c2", "a")
    assert q.get("c2")["agent"] == "a" and q.waiting() == ["c1"]
    for cid, aid, code in [("c2", "b", "not_waiting"), ("c1", "a", "agent_full"), ("nope", "b", "not_found"),
                           ("c1", "ghost", "unknown_agent")]:  # fmt: skip
        with pytest.raises(HandoffError) as err:
            q.claim(cid, aid)
        assert err.value.code == code
    q.set_status("b", "offline")
    with pytest.raises(HandoffError) as err:
        q.claim("c1", "b")
    assert err.value.code == "agent_not_online"


# -- reply, transfer, resolve --------------------------------------------------------------
def test_only_the_owner_replies_and_resolves(make_queue):
    q = make_queue(a=agent_profile(), b=agent_profile())
    online(q, "a")
    q.enqueue(handoff("c1"))
    online(q, "b")
    for call in (lambda: q.reply("c1", "b"), lambda: q.resolve("c1", "b"), lambda: q.transfer("c1", "b", "b")):
        with pytest.raises(HandoffError) as err:
            call()
        assert err.value.code == "not_yours" and err.value.owner == "a"
    q.reply("c1", "a")
    assert q.get("c1")["first_reply_at"] != ""
    assert q.resolve("c1", "b", force=True) == "a"  # a supervisor may close it
    with pytest.raises(HandoffError) as err:
        q.resolve("c1", "a")
    assert err.value.code == "already_resolved"


def test_resolve_of_an_unassigned_chat_is_refused(make_queue):
    q = make_queue()
    q.enqueue(handoff("c1"))
    with pytest.raises(HandoffError) as err:
        q.resolve("c1", "a")
    assert err.value.code == "not_assigned"
    assert q.waiting() == ["c1"]


def test_transfer_to_an_agent_to_oneself_and_to_a_group(make_queue):
    q = make_queue(
        a=agent_profile(2, groups="presales"), b=agent_profile(1, groups="after_sales"), c=agent_profile(1)
    )
    online(q, "a")
    q.enqueue(handoff("c1"))
    with pytest.raises(HandoffError) as err:
        q.transfer("c1", "a", to_agent="a")
    assert err.value.code == "same_agent"
    with pytest.raises(HandoffError) as err:
        q.transfer("c1", "a", to_agent="b")
    assert err.value.code == "agent_not_online"
    online(q, "b", "c")
    assert q.transfer("c1", "a", to_agent="b") == "b"
    assert q.agent("a")["load"] == 0 and q.agent("b")["chats"] == ["c1"]
    with pytest.raises(HandoffError) as err:
        q.transfer("c1", "b", to_group="nobody")
    assert err.value.code == "unknown_group"
    # to a group whose only member is full: it waits, at the front, for that group only
    q.enqueue(handoff("c2", created_at=1))  # goes to c (rotation) ...
    assert q.get("c2")["agent"] == "c"
    q.transfer("c1", "b", to_group="presales")
    assert q.get("c1")["agent"] == "a"
    q.set_status("a", "away")
    q.transfer("c1", "a", to_group="after_sales")
    assert q.get("c1")["agent"] == "b"


def test_transfer_to_a_group_skips_the_agent_who_gave_it_away(make_queue):
    q = make_queue(a=agent_profile(2, groups="g"), b=agent_profile(2, groups="g"))
    online(q, "a")
    q.enqueue(handoff("c1"))
    assert q.transfer("c1", "a", to_group="g") == ""  # only a is online, and a gave it away
    assert q.waiting() == ["c1"] and q.get("c1")["group"] == "g"
    online(q, "b")
    assert q.get("c1")["agent"] == "b"


# -- timers --------------------------------------------------------------------------------
def fire_due(q: HandoffQueue) -> list:
    return [q.fire(m) for m in q.due_timers()]


def test_unreplied_chat_is_reminded_after_5_minutes_and_moved_3_minutes_later(make_queue, clock):
    q = make_queue(a=agent_profile(), b=agent_profile())
    online(q, "a", "b")
    owner = q.enqueue(handoff("c1")).agent
    clock.advance(299)
    assert fire_due(q) == []
    clock.advance(1)
    assert fire_due(q) == [["reminded", owner]]
    clock.advance(179)
    assert fire_due(q) == []
    clock.advance(1)
    other = "b" if owner == "a" else "a"
    assert fire_due(q) == [["reassigned", other]]
    assert q.agent(owner)["load"] == 0 and q.get("c1")["agent"] == other
    clock.advance(300)  # the new owner gets the same 5 minutes
    assert fire_due(q) == [["reminded", other]]


def test_a_reply_stops_the_timers_and_a_new_buyer_message_starts_them(make_queue, clock):
    q = make_queue(a=agent_profile())
    online(q, "a")
    q.enqueue(handoff("c1"))
    clock.advance(100)
    q.reply("c1", "a")
    clock.advance(1000)
    assert fire_due(q) == []
    assert q.buyer_message("c1") == "assigned"
    assert q.buyer_message("c1") == "assigned"  # the clock runs from the first unanswered message
    clock.advance(300)
    assert fire_due(q) == [["reminded", "a"]]
    assert q.buyer_message("nobody") == ""


def test_reassign_with_nobody_free_keeps_the_chat_and_tries_again(make_queue, clock):
    q = make_queue(a=agent_profile())
    online(q, "a")
    q.enqueue(handoff("c1"))
    clock.advance(300)
    fire_due(q)
    clock.advance(180)
    assert fire_due(q) == [["no_one_free", "a"]]
    assert q.get("c1")["agent"] == "a"
    q.register_agent("b", agent_profile())
    online(q, "b")
    clock.advance(180)
    assert fire_due(q) == [["reassigned", "b"]]


def test_a_timer_fires_once_across_processes(make_queue, clock, redis_client):
    q = make_queue(a=agent_profile())
    online(q, "a")
    q.enqueue(handoff("c1"))
    clock.advance(301)
    member = q.due_timers()[0]
    results = [q.fire(member) for _ in range(5)]
    assert results.count(["reminded", "a"]) == 1 and results.count(["not_due"]) == 4
    kinds = [fields["kind"] for _, fields in redis_client.xrange(keys.EVENTS)]
    assert kinds.count("reminded") == 1


# -- presence ------------------------------------------------------------------------------
def test_silent_agent_goes_offline_and_only_unanswered_chats_go_back_to_the_front(make_queue, clock):
    q = make_queue(a=agent_profile(3), b=agent_profile(1))
    online(q, "a")
    q.enqueue(handoff("answered", created_at=1))
    q.enqueue(handoff("unanswered", created_at=2))
    q.reply("answered", "a")
    q.enqueue(handoff("newer", created_at=3))
    q.set_status("b", "online")
    assert q.get("newer")["agent"] == "a"  # a still had room
    q.enqueue(handoff("newest", created_at=4))  # b has room
    q.enqueue(handoff("waiting-before", created_at=5))  # everyone full
    clock.advance(30)
    q.heartbeat("b")
    clock.advance(40)
    assert q.silent_agents(clock() - 60) == ["a"]
    assert q.expire("b", clock() - 60) is None  # b is alive
    returned = q.expire("a", clock() - 60)
    assert sorted(returned) == ["newer", "unanswered"]
    assert q.agent("a")["status"] == "offline" and q.agent("a")["chats"] == ["answered"]
    assert q.waiting()[:2] == ["unanswered", "newer"]  # ahead of the chat that was already waiting
    with pytest.raises(HandoffError) as err:
        q.heartbeat("a")  # a heartbeat does not bring an expired agent back: they go online again
    assert err.value.code == "offline"


def test_signing_off_returns_every_chat(make_queue):
    q = make_queue(a=agent_profile(2), b=agent_profile(2))
    online(q, "a")
    q.enqueue(handoff("c1"))
    q.enqueue(handoff("c2"))
    q.reply("c1", "a")
    online(q, "b")
    assert sorted(q.set_status("a", "offline")) == ["c1", "c2"]
    assert q.agent("b")["chats"] == ["c1", "c2"]


def test_unknown_agent_and_bad_status(make_queue):
    q = make_queue()
    for call, code in [(lambda: q.set_status("ghost", "online"), "unknown_agent"),
                       (lambda: q.set_status("ghost", "asleep"), "bad_status"),
                       (lambda: q.heartbeat("ghost"), "unknown_agent")]:  # fmt: skip
        with pytest.raises(HandoffError) as err:
            call()
        assert err.value.code == code


# -- ratings, wait estimate ----------------------------------------------------------------
def test_rating_only_for_a_resolved_handoff_and_only_once(make_queue, redis_client):
    q = make_queue(a=agent_profile())
    online(q, "a")
    q.enqueue(handoff("c1"))
    with pytest.raises(HandoffError):
        q.rate("c1", 5)
    q.resolve("c1", "a")
    q.rate("c1", 4)
    with pytest.raises(HandoffError) as err:
        q.rate("c1", 1)
    assert err.value.code == "already_rated"
    entries = redis_client.xrange(keys.EVENTS)
    assert [f["kind"] for _, f in entries] == ["agent_online", "queued", "assigned", "resolved", "rating"]
    queued_id = entries[1][0]  # the queued event's id names the handoff in every later event
    assert {f["handoff_id"] for _, f in entries[2:]} == {queued_id} == {q.get("c1")["handoff_id"]}


def test_wait_estimate_uses_recent_handling_times_and_online_slots(make_queue, clock):
    q = make_queue(a=agent_profile(2), b=agent_profile(2))
    assert q.eta_minutes(3, default_handle_s=240) == 3  # nobody online: 4 slots, 4 min each
    online(q, "a")
    q.enqueue(handoff("c1"))
    clock.advance(600)
    q.resolve("c1", "a")  # 10 minutes
    assert q.eta_minutes(3, default_handle_s=240) == 15  # 3 chats x 10 min / 2 slots


# -- many processes ------------------------------------------------------------------------
def _hammer(url: str, n: int, start: mp.Event) -> None:
    q = HandoffQueue(redis.Redis.from_url(url, decode_responses=True))
    start.wait()
    for i in range(n):
        q.enqueue(handoff(f"conv-{i}", priority=i % 3))


def test_many_processes_enqueue_each_conversation_once(redis_client):
    """4 processes each try to enqueue the same 300 conversations at the same moment."""
    kwargs = redis_client.connection_pool.connection_kwargs
    url = (
        f"unix://{kwargs['path']}" if "path" in kwargs else f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs['db']}"
    )
    start = mp.get_context("fork").Event()
    procs = [mp.get_context("fork").Process(target=_hammer, args=(url, 300, start)) for _ in range(4)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    waiting = HandoffQueue(redis_client).waiting()
    assert len(waiting) == len(set(waiting)) == 300
    queued = [f for _, f in redis_client.xrange(keys.EVENTS) if f["kind"] == "queued"]
    assert len(queued) == 300  # exactly one real enqueue per conversation
