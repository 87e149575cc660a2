"""The durable record: every event reaches SQL once, in order, and Redis can be rebuilt from it."""

from __future__ import annotations

from sqlalchemy import func, select

from helpdesk import keys
from helpdesk.desk import Desk
from helpdesk.record.audit import record_problems
from helpdesk.record.events import record_events
from helpdesk.record.models import Handoff, HandoffEvent
from helpdesk.record.rebuild import ensure_state, rebuild
from helpdesk.record.recorder import copy_events
from shop.config import load_shop_config
from shop.settings import ROOT
from tests.helpdesk.conftest import agent_profile, handoff

CFG = load_shop_config(ROOT / "shop.yml")


def busy_day(desk: Desk, clock) -> None:
    """A bit of everything: assigned, answered, reminded, returned, moved to a group, resolved, rated."""
    desk.agents.register_all(CFG.helpdesk.chat_agents)
    for aid in ("amy", "ben", "chen"):
        desk.agents.set_status(aid, "online")
    for i in range(12):
        desk.queue.enqueue(handoff(f"c{i}", priority=10 if i % 5 == 0 else 0, created_at=clock() + i))
        clock.advance(1)
    owned = {aid: desk.agents.get(aid)["chats"] for aid in ("amy", "ben", "chen")}
    desk.queue.reply(owned["amy"][0], "amy")
    desk.queue.reply(owned["ben"][0], "ben")
    desk.queue.buyer_message(owned["ben"][0])
    clock.advance(301)
    for member in desk.timers.due():
        desk.timers.fire(member)  # reminders
    desk.queue.resolve(owned["chen"][0], "chen")
    desk.queue.rate(owned["chen"][0], 2)
    desk.queue.transfer(owned["amy"][1], "amy", to_group="after_sales")
    desk.agents.set_status("ben", "offline")  # signs off: his chats go back to the front


def snapshot(desk: Desk) -> dict:
    live = {}
    for cid in desk.redis.scan_iter(keys.conversation("*")):
        h = desk.redis.hgetall(cid)
        if h["state"] != "resolved":
            live[h["conversation_id"]] = {k: h.get(k, "") for k in ("state", "agent", "handoff_id", "priority")}
    return {
        "waiting": desk.queue.waiting(),
        "live": live,
        "chats": {a["id"]: a["chats"] for a in desk.agents.all()},
        "timers": sorted(desk.redis.zrange(keys.TIMERS, 0, -1, withscores=True)),
    }


def test_every_event_reaches_sql_once_and_in_order(make_desk, clock, record_db):
    desk = make_desk()
    busy_day(desk, clock)
    emitted = desk.redis.xlen(keys.EVENTS)
    assert copy_events(desk.redis, record_db) == emitted and desk.redis.xlen(keys.EVENTS) == 0
    with record_db() as s:
        assert s.scalar(select(func.count()).select_from(HandoffEvent)) == emitted
        rows = {h.conversation_id: h for h in s.scalars(select(Handoff))}
        assert len(rows) == 12
        rated = [h for h in rows.values() if h.rating is not None]
        assert len(rated) == 1 and rated[0].rating == 2 and rated[0].state == "resolved"
        assert rated[0].resolved_at - rated[0].first_assigned_at >= 301
        live = desk.redis
        for cid, h in rows.items():
            assert h.state == live.hget(keys.conversation(cid), "state")
            assert (h.agent or "") == live.hget(keys.conversation(cid), "agent")
        kinds = [e.kind for e in s.scalars(select(HandoffEvent).order_by(HandoffEvent.id))]
        assert kinds.count("queued") == 12 and "reminded" in kinds and "requeued" in kinds and "transferred" in kinds


def test_a_crash_between_sql_and_the_stream_copies_nothing_twice(make_desk, clock, record_db):
    desk = make_desk()
    busy_day(desk, clock)
    entries = desk.redis.xrange(keys.EVENTS)
    with record_db.begin() as s:
        record_events(s, entries[:5])  # committed, but the process died before deleting them from the stream
    assert copy_events(desk.redis, record_db) == len(entries) - 5
    with record_db() as s:
        assert s.scalar(select(func.count()).select_from(HandoffEvent)) == len(entries)


def test_flush_redis_then_rebuild_gives_the_same_queue_and_assignments(make_desk, clock, record_db):
    desk = make_desk()
    busy_day(desk, clock)
    copy_events(desk.redis, record_db)
    before = snapshot(desk)
    assert before["waiting"] and any(before["chats"].values()) and before["timers"]
    desk.redis.flushdb()
    assert ensure_state(desk, record_db, CFG) is True
    after = snapshot(desk)
    assert after == before
    assert ensure_state(desk, record_db, CFG) is False  # state present: nothing to do


def test_rebuild_keeps_what_was_enqueued_after_the_loss(make_desk, clock, record_db):
    desk = make_desk(amy=agent_profile(3))
    desk.queue.enqueue(handoff("old", created_at=clock()))
    copy_events(desk.redis, record_db)
    desk.redis.flushdb()
    desk.queue.enqueue(handoff("old", priority=10, created_at=clock() + 5))  # the buyer asked again meanwhile
    desk.queue.enqueue(handoff("new", created_at=clock() + 6))
    assert rebuild(desk, record_db, CFG) == 0  # "old" is already there, with its newer state
    assert desk.queue.waiting() == ["old", "new"] and desk.queue.get("old")["priority"] == "10"
    copy_events(desk.redis, record_db)
    with record_db() as s:  # both handoffs of "old" are on record, with distinct ids
        assert s.scalar(select(func.count()).select_from(Handoff).where(Handoff.conversation_id == "old")) == 2


def amy_has_c1_then_redis_is_lost(make_desk, clock, record_db) -> Desk:
    desk = make_desk(amy=agent_profile(3))
    desk.agents.set_status("amy", "online")
    desk.queue.enqueue(handoff("c1", created_at=clock()))
    copy_events(desk.redis, record_db)
    desk.redis.flushdb()
    rebuild(desk, record_db, CFG)
    return desk


def test_an_agent_missing_after_the_rebuild_is_signed_off_by_the_heartbeat_timeout(make_desk, clock, record_db):
    desk = amy_has_c1_then_redis_is_lost(make_desk, clock, record_db)
    assert (
        desk.queue.get("c1")["agent"] == "amy" and desk.agents.get("amy")["status"] == "offline"
    )  # unknown until she beats
    clock.advance(61)
    assert desk.agents.expire("amy", clock() - 60) == ["c1"]
    assert desk.queue.waiting() == ["c1"]


def test_a_heartbeat_after_the_rebuild_brings_the_agent_back(make_desk, clock, record_db):
    desk = amy_has_c1_then_redis_is_lost(make_desk, clock, record_db)
    desk.queue.enqueue(handoff("c2", created_at=clock()))
    assert desk.agents.heartbeat("amy") == "online"
    assert desk.agents.get("amy")["chats"] == ["c1", "c2"]


def test_the_audit_passes_a_busy_day_and_catches_a_forged_double_assignment(make_desk, clock, record_db):
    desk = make_desk()
    busy_day(desk, clock)
    copy_events(desk.redis, record_db)
    with record_db() as s:
        assert record_problems(s) == []
    assert desk.audit() == []
    cid = desk.agents.get("chen")["chats"][0]
    desk.redis.sadd(keys.chats("amy"), cid)  # what a non-atomic assignment could leave behind
    assert any(p.startswith(f"double_assigned {cid}") for p in desk.audit())
    with record_db.begin() as s:
        hid = s.scalar(select(Handoff.id).where(Handoff.conversation_id == cid))
        s.add(HandoffEvent(stream_id="9-9", handoff_id=hid, conversation_id=cid, kind="claimed", agent="amy", at=0))
    with record_db() as s:
        assert any("taken while not waiting" in p for p in record_problems(s))
