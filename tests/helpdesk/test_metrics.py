"""GET /metrics of the helpdesk: a queue the test built, scraped and parsed as Prometheus parses it.

The figures are read from Redis and the SQL record at scrape time (helpdesk/metrics.py), so they are checked
against the state the test made, with a Clock the test moves for the waits."""

from __future__ import annotations

from collections import Counter
from typing import Dict, Tuple

import redis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from connectors.marketplace.outbox import Outbox
from helpdesk import keys
from helpdesk.metrics import ASSIGNMENT_KINDS, CONTENT_TYPE, DeskCollector, read_live
from helpdesk.web.routes import ROUTES
from tests.helpdesk.conftest import agent_profile, handoff
from tests.helpdesk.test_console_api import Console

Samples = Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of an exposition: (name, sorted labels) -> value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def scrape(collector: DeskCollector) -> Samples:
    registry = CollectorRegistry()
    registry.register(collector)
    return samples(generate_latest(registry).decode())


def build_queue(desk, clock) -> None:
    """amy online with one chat (her capacity), ben away, chen offline; three chats waiting, the oldest since
    t0 + 10, one of them a complaint (priority 10); then 100 s pass."""
    t0 = clock.now
    desk.agents.set_status("amy", "online")
    desk.agents.set_status("ben", "away")
    desk.queue.enqueue(handoff("c-0", created_at=t0))  # amy takes it
    clock.advance(10)
    desk.queue.enqueue(handoff("c-1", created_at=clock.now))
    clock.advance(10)
    desk.queue.enqueue(handoff("c-2", priority=10, created_at=clock.now))
    clock.advance(10)
    desk.queue.enqueue(handoff("c-3", created_at=clock.now))
    clock.advance(70)


def test_the_figures_are_the_queue_the_test_built(make_desk, clock, redis_client):
    desk = make_desk(amy=agent_profile(capacity=1), ben=agent_profile(), chen=agent_profile())
    build_queue(desk, clock)
    box = Outbox(redis_client, "marketplace")
    for conv, text in [("c-a", "one"), ("c-a", "two"), ("c-b", "three")]:
        box.push(conv, f"marketplace:{conv}", {"text": text})
    [first, _] = sorted(box.claim(10, 30), key=lambda c: c.conversation)
    box.failed(first, "HTTP 404")  # "one": finally not delivered
    desk.alerts.raise_alert("metrics_test", "a test alert")  # its firing waits in the alert webhook's outbox
    found = scrape(DeskCollector(lambda: read_live(redis_client, clock())))

    assert value(found, "kefu_queue_waiting", priority="0") == 2
    assert value(found, "kefu_queue_waiting", priority="10") == 1
    assert value(found, "kefu_queue_oldest_wait_seconds") == 90  # c-1, queued at t0 + 10, now t0 + 100
    assert value(found, "kefu_queue_assigned") == 1
    for status, n in [("online", 1), ("away", 1), ("offline", 1)]:
        assert value(found, "kefu_agents", status=status) == n
    assert value(found, "kefu_outbox_pending_messages", outbox="marketplace") == 2
    assert value(found, "kefu_outbox_failed_total", outbox="marketplace") == 1
    assert value(found, "kefu_outbox_pending_messages", outbox="alert_webhook") == 1
    assert value(found, "kefu_resume_pending") == 0
    assert value(found, "kefu_events_unrecorded") == redis_client.xlen(keys.EVENTS)

    desk.queue.resolve("c-0", "amy")  # amy is free: the complaint is hers; the resolved chat waits for the bot
    clock.advance(5)
    found = scrape(DeskCollector(lambda: read_live(redis_client, clock())))
    assert value(found, "kefu_queue_waiting", priority="0") == 2
    assert ("kefu_queue_waiting", (("priority", "10"),)) not in found
    assert value(found, "kefu_queue_oldest_wait_seconds") == 95
    assert value(found, "kefu_resume_pending") == 1


def test_an_empty_desk_says_zero(make_desk, clock, redis_client):
    make_desk(amy=agent_profile())
    found = scrape(DeskCollector(lambda: read_live(redis_client, clock())))
    assert value(found, "kefu_queue_oldest_wait_seconds") == 0
    assert value(found, "kefu_agents", status="offline") == 1
    assert not [key for key in found if key[0] in ("kefu_queue_waiting", "kefu_outbox_failed_total")]
    assert [(key, n) for key, n in found.items() if key[0] == "kefu_outbox_pending_messages"] == [
        (("kefu_outbox_pending_messages", (("outbox", "alert_webhook"),)), 0)
    ]  # no channel has an outbox until its first message


def test_assignments_and_transitions_are_counted(make_desk, clock, redis_client):
    """One chat is assigned, transferred to ben, sent to a group (which gives it to nobody), claimed by chen and,
    unanswered, reassigned by the timer; the counts are the stream's, and they outlive its copy into SQL."""
    desk = make_desk(amy=agent_profile(), ben=agent_profile(groups="vip"), chen=agent_profile())
    desk.agents.set_status("amy", "online")
    desk.queue.enqueue(handoff("a-1", created_at=clock.now))  # assigned to amy
    desk.agents.set_status("ben", "online")
    assert desk.queue.transfer("a-1", "amy", to_agent="ben") == "ben"
    assert desk.queue.transfer("a-1", "ben", to_group="vip") == ""  # only ben is in vip, and it left him
    desk.agents.set_status("chen", "online")
    desk.queue.claim("a-1", "chen")
    for wait in (300, 180):  # chen does not answer: reminded, then the chat goes to someone else
        clock.advance(wait)
        [desk.timers.fire(member) for member in desk.timers.due()]
    stream = Counter(e["kind"] for _, e in redis_client.xrange(keys.EVENTS))
    redis_client.xtrim(keys.EVENTS, maxlen=0)  # as the recorder does once it copied them

    found = scrape(DeskCollector(lambda: read_live(redis_client, clock())))
    for how in ASSIGNMENT_KINDS:
        assert value(found, "kefu_assignments_total", how=how) == 1
    kinds = {dict(labels)["kind"]: n for (name, labels), n in found.items() if name == "kefu_handoff_events_total"}
    assert kinds == {**stream, "transferred": 1, "transferred_to_group": 1}
    assert kinds["queued"] == 1 and kinds["reminded"] == 1 and kinds["agent_online"] == 3


def test_scraped_over_http_with_the_token_or_a_supervisors_login(hd, clock):
    desk = hd.app.ctx.hd.desk
    desk.scripts.clock = clock  # the app's Lua scripts and its metrics read the test's clock
    for cid, priority in [("h-1", 0), ("h-2", 5), ("h-3", 0)]:
        assert desk.queue.enqueue(handoff(cid, priority=priority, created_at=clock.now)).queued
        clock.advance(20)
    assert hd.post("/agents/ben/status", {"status": "online"}).status_code == 200  # takes all three (capacity 3)
    hd.post("/agents/chen/status", {"status": "away"})
    for cid in ("h-4", "h-5", "h-6"):
        clock.advance(10)
        desk.queue.enqueue(handoff(cid, created_at=clock.now))
    clock.advance(30)
    hd.sweep()  # copies the events into SQL

    r = hd.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == CONTENT_TYPE
    found = samples(r.text)
    assert value(found, "kefu_queue_waiting", priority="0") == 3
    assert value(found, "kefu_queue_oldest_wait_seconds") == 50  # h-4: queued 50 s ago by the test's clock
    assert value(found, "kefu_queue_assigned") == 3
    assert value(found, "kefu_agents", status="online") == 1
    assert value(found, "kefu_agents", status="away") == 1
    assert value(found, "kefu_agents", status="offline") == 1
    assert value(found, "kefu_assignments_total", how="assigned") == 3
    assert value(found, "kefu_events_unrecorded") == 0
    assert found[("process_resident_memory_bytes", ())] > 0  # this process's own figures too

    assert hd.get("/metrics", auth=False).status_code == 401
    assert hd.get("/metrics", auth=False, headers={"Authorization": "Bearer wrong"}).status_code == 401
    amy, ben = Console(hd, "amy"), Console(hd, "ben")
    assert amy.get("/metrics").status_code == 200
    refused = ben.get("/metrics")
    assert refused.status_code == 403 and refused.json["error"] == "not_supervisor"


def test_redis_away_is_a_503_not_a_trace(hd):
    assert hd.get("/metrics").status_code == 200
    client: redis.Redis = hd.app.ctx.hd.desk.redis
    client.shutdown(nosave=True)
    r = hd.get("/metrics")
    assert r.status_code == 503 and r.json["error"] == "queue_unavailable" and "Traceback" not in r.text


def test_two_apps_keep_their_own_figures(serve_helpdesk):
    one, two = serve_helpdesk(), serve_helpdesk()
    one.app.ctx.hd.desk.queue.enqueue(handoff("only-in-one"))
    first, second = samples(one.get("/metrics").text), samples(two.get("/metrics").text)
    assert value(first, "kefu_queue_waiting", priority="0") == 1
    assert ("kefu_queue_waiting", (("priority", "0"),)) not in second
    assert one.app.ctx.metrics is not two.app.ctx.metrics


def test_the_route_table_says_the_content_type_sent():
    [route] = [r for r in ROUTES if r.path == "/metrics"]
    assert route.answers[200].types == (CONTENT_TYPE,)
