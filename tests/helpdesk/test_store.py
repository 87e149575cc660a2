"""The durable record: every event reaches SQL once, in order, and Redis can be rebuilt from it."""

from __future__ import annotations

from sqlalchemy import func, select

from actions.settings import ROOT
from actions.shop_config import load_shop_config
from helpdesk import keys
from helpdesk.audit import live_problems, record_problems
from helpdesk.queue import HandoffQueue
from helpdesk.rebuild import ensure_state, rebuild, register_agents
from helpdesk.recorder import copy_events
from helpdesk.store import Handoff, HandoffEvent, record_events
from tests.helpdesk.conftest import agent_profile, handoff

CFG = load_shop_config(ROOT / "shop.yml")


def busy_day(q: HandoffQueue, clock) -> None:
    """A bit of everything: assigned, answered, reminded, returned, moved to a group, resolved, rated."""
    register_agents(q, CFG)
    for aid in ("amy", "ben", "chen"):
        q.set_status(aid, "online")
    for i in range(12):
        q.enqueue(handoff(f"c{i}", priority=10 if i % 5 == 0 else 0, created_at=clock() + i))
        clock.advance(1)
    owned = {aid: q.agent(aid)["chats"] for aid in ("amy", "ben", "chen")}
    q.reply(owned["amy"][0], "amy")
    q.reply(owned["ben"][0], "ben")
    q.buyer_message(owned["ben"][0])
    clock.advance(301)
    for member in q.due_timers():
        q.fire(member)  # reminders
    q.resolve(owned["chen"][0], "chen")
    q.rate(owned["chen"][0], 2)
    q.transfer(owned["amy"][1], "amy", to_group="after_sales")
    q.set_status("ben", "offline")  # signs off: his chats go back to the front


def snapshot(q: HandoffQueue) -> dict:
    live = {}
    for cid in q.redis.scan_iter(keys.conversation("*")):
        h = q.redis.hgetall(cid)
        if h["state"] != "resolved":
            live[h["conversation_id"]] = {k: h.get(k, "") for k in ("state", "agent", "handoff_id", "priority")}
    return {
        "waiting": q.waiting(),
        "live": live,
        "chats": {a["id"]: a["chats"] for a in q.agents()},
        "timers": sorted(q.redis.zrange(keys.TIMERS, 0, -1, withscores=True)),
    }


def test_every_event_reaches_sql_once_and_in_order(make_queue, clock, sessions):
    q = make_queue()
    busy_day(q, clock)
    emitted = q.redis.xlen(keys.EVENTS)
    assert copy_events(q.redis, sessions) == emitted and q.redis.xlen(keys.EVENTS) == 0
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(HandoffEvent)) == emitted
        rows = {h.conversation_id: h for h in s.scalars(select(Handoff))}
        assert len(rows) == 12
        rated = [h for h in rows.values() if h.rating is not None]
        assert len(rated) == 1 and rated[0].rating == 2 and rated[0].state == "resolved"
        assert rated[0].resolved_at - rated[0].first_assigned_at >= 301
        live = q.redis
        for cid, h in rows.items():
            assert h.state == live.hget(keys.conversation(cid), "state")
            assert (h.agent or "") == live.hget(keys.conversation(cid), "agent")
        kinds = [e.kind for e in s.scalars(select(HandoffEvent).order_by(HandoffEvent.id))]
        assert kinds.count("queued") == 12 and "reminded" in kinds and "requeued" in kinds and "transferred" in kinds


def test_a_crash_between_sql_and_the_stream_copies_nothing_twice(make_queue, clock, sessions):
    q = make_queue()
    busy_day(q, clock)
    entries = q.redis.xrange(keys.EVENTS)
    with sessions.begin() as s:
        record_events(s, entries[:5])  # committed, but the process died before deleting them from the stream
    assert copy_events(q.redis, sessions) == len(entries) - 5
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(HandoffEvent)) == len(entries)


def test_flush_redis_then_rebuild_gives_the_same_queue_and_assignments(make_queue, clock, sessions):
    q = make_queue()
    busy_day(q, clock)
    copy_events(q.redis, sessions)
    before = snapshot(q)
    assert before["waiting"] and any(before["chats"].values()) and before["timers"]
    q.redis.flushdb()
    assert ensure_state(q, sessions, CFG) is True
    after = snapshot(q)
    assert after == before
    assert ensure_state(q, sessions, CFG) is False  # state present: nothing to do


def test_rebuild_keeps_what_was_enqueued_after_the_loss(make_queue, clock, sessions):
    q = make_queue(amy=agent_profile(3))
    q.enqueue(handoff("old", created_at=clock()))
    copy_events(q.redis, sessions)
    q.redis.flushdb()
    q.enqueue(handoff("old", priority=10, created_at=clock() + 5))  # the buyer asked again meanwhile
    q.enqueue(handoff("new", created_at=clock() + 6))
    assert rebuild(q, sessions, CFG) == 0  # "old" is already there, with its newer state
    assert q.waiting() == ["old", "new"] and q.get("old")["priority"] == "10"
    copy_events(q.redis, sessions)
    with sessions() as s:  # both handoffs of "old" are on record, with distinct ids
        assert s.scalar(select(func.count()).select_from(Handoff).where(Handoff.conversation_id == "old")) == 2


def amy_has_c1_then_redis_is_lost(make_queue, clock, sessions) -> HandoffQueue:
    q = make_queue(amy=agent_profile(3))
    q.set_status("amy", "online")
    q.enqueue(handoff("c1", created_at=clock()))
    copy_events(q.redis, sessions)
    q.redis.flushdb()
    rebuild(q, sessions, CFG)
    return q


def test_an_agent_missing_after_the_rebuild_is_signed_off_by_the_heartbeat_timeout(make_queue, clock, sessions):
    q = amy_has_c1_then_redis_is_lost(make_queue, clock, sessions)
    assert q.get("c1")["agent"] == "amy" and q.agent("amy")["status"] == "offline"  # unknown until she beats
    clock.advance(61)
    assert q.expire("amy", clock() - 60) == ["c1"]
    assert q.waiting() == ["c1"]


def test_a_heartbeat_after_the_rebuild_brings_the_agent_back(make_queue, clock, sessions):
    q = amy_has_c1_then_redis_is_lost(make_queue, clock, sessions)
    q.enqueue(handoff("c2", created_at=clock()))
    assert q.heartbeat("amy") == "online"
    assert q.agent("amy")["chats"] == ["c1", "c2"]


def test_the_audit_passes_a_busy_day_and_catches_a_forged_double_assignment(make_queue, clock, sessions):
    q = make_queue()
    busy_day(q, clock)
    copy_events(q.redis, sessions)
    with sessions() as s:
        assert record_problems(s) == []
    assert live_problems(q) == []
    cid = q.agent("chen")["chats"][0]
    q.redis.sadd(keys.chats("amy"), cid)  # what a non-atomic assignment could leave behind
    assert any(p.startswith(f"double_assigned {cid}") for p in live_problems(q))
    with sessions.begin() as s:
        hid = s.scalar(select(Handoff.id).where(Handoff.conversation_id == cid))
        s.add(HandoffEvent(stream_id="9-9", handoff_id=hid, conversation_id=cid, kind="claimed", agent="amy", at=0))
    with sessions() as s:
        assert any("taken while not waiting" in p for p in record_problems(s))
