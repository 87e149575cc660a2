"""The shop.yml alert rules on the real desk, clock and record: each fires once per breach, clears on recovery and
fires again on the next breach; every firing and clearing reaches a real local webhook receiver once, signed,
also after the receiver was down; and several processes evaluating at once fire an alert once."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import multiprocessing as mp
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
import redis
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from helpdesk import keys
from helpdesk.alert_webhook import WebhookSender
from helpdesk.desk import Desk
from helpdesk.record.alert_watch import AlertWatch
from helpdesk.record.models import open_record
from helpdesk.record.recorder import copy_events
from helpdesk.scripts import LuaScripts
from helpdesk.web.sweeper import Sweeper
from scripts.stack import free_port
from shop import db
from shop.config import AlertRules, Alerts, AlertWebhook, load_shop_config
from shop.settings import ROOT
from tests.helpdesk.conftest import agent_profile, handoff
from tests.helpdesk.procs import run_processes

CFG = load_shop_config(ROOT / "shop.yml")
RULES = AlertRules(frt_over_min=15, frt_window_min=60, csat_under=3.5, csat_last=4, queue_over=2,
                   agent_reminders_over=1)  # fmt: skip
ALERTS = Alerts(rules=RULES, record_every_s=15)
SECRET = "test-webhook-secret"


# -- helpers -------------------------------------------------------------------------------------
def deliveries(client: redis.Redis, alert: Optional[str] = None) -> List[Tuple[str, str]]:
    """(alert, state) of every delivery queued for the webhook, oldest first."""
    queued = [json.loads(client.hget(keys.ALERT_DELIVERIES, i)) for i in client.lrange(keys.ALERT_OUTBOX, 0, -1)]
    return [(d["alert"], d["state"]) for d in queued if alert in (None, d["alert"])]


def active(desk: Desk) -> Dict[str, dict]:
    return {a["name"]: a for a in desk.alerts.active()}


class Watch:
    """What the sweeper does for alerts each tick: copy the events into SQL, then evaluate the rules."""

    def __init__(self, desk: Desk, record, cfg: Alerts = ALERTS) -> None:
        self.desk, self.record, self.watch = desk, record, AlertWatch(desk, record, cfg)

    def tick(self, times: int = 1) -> None:
        for _ in range(times):
            copy_events(self.desk.redis, self.record)
            self.watch.check()


def online(desk: Desk, *agents: str) -> None:
    for agent in agents:
        desk.agents.set_status(agent, "online")


def fire_due(desk: Desk) -> List[list]:
    return [desk.timers.fire(m) for m in desk.timers.due()]


# -- the rules -----------------------------------------------------------------------------------
def test_frt_fires_on_a_long_first_wait_stays_on_the_hours_average_then_clears(make_desk, clock, record_db):
    desk = make_desk(amy=agent_profile(3, name="Amy Zhou"))
    watch = Watch(desk, record_db)
    desk.queue.enqueue(handoff("c1", created_at=clock()))
    watch.tick()
    clock.advance(15 * 60)
    watch.tick()  # exactly 15 min: not over
    assert deliveries(desk.redis) == [] and active(desk) == {}
    clock.advance(60)
    watch.tick()
    alert = active(desk)["frt"]
    assert "(c1) has waited 16.0 min" in alert["text"] and "over 15 min" in alert["text"]
    for _ in range(3):
        clock.advance(60)
        watch.tick()
    assert deliveries(desk.redis) == [("frt", "firing")]
    assert active(desk)["frt"]["since"] == alert["since"] and "19.0 min" in active(desk)["frt"]["text"]
    online(desk, "amy")  # assigned, still unanswered: still the same breach
    desk.queue.reply("c1", "amy")  # answered after 19 min: the last hour's average is 19 min now
    clock.advance(ALERTS.record_every_s)
    watch.tick(3)
    assert deliveries(desk.redis) == [("frt", "firing")]
    assert "averaged 19.0 min over 1 chat first answered" in active(desk)["frt"]["text"]
    clock.advance(RULES.frt_window_min * 60)  # the slow answer leaves the window
    watch.tick(3)
    assert deliveries(desk.redis) == [("frt", "firing"), ("frt", "cleared")] and "frt" not in active(desk)
    desk.queue.enqueue(handoff("c2", created_at=clock()))
    desk.agents.set_status("amy", "away")  # she keeps c1 but gets no new chat
    clock.advance(16 * 60)
    watch.tick(2)
    assert deliveries(desk.redis) == [("frt", "firing"), ("frt", "cleared"), ("frt", "firing")]


def test_frt_fires_on_the_hours_average_of_chats_queued_before_anyone_looked(make_desk, clock, record_db):
    """A chat queued 20 minutes before the helpdesk ran (its sweeper never saw it wait) still counts."""
    desk = make_desk(amy=agent_profile(5))
    watch = Watch(desk, record_db)
    online(desk, "amy")
    desk.queue.enqueue(handoff("late", created_at=clock() - 20 * 60))
    desk.queue.reply("late", "amy")
    watch.tick()
    assert deliveries(desk.redis) == [("frt", "firing")]
    assert "averaged 20.0 min over 1 chat first answered" in active(desk)["frt"]["text"]
    for i in range(3):  # three answered within a minute: (20 + 3 x 1) / 4 = 5.75 min
        desk.queue.enqueue(handoff(f"fast{i}", created_at=clock() - 60))
        desk.queue.reply(f"fast{i}", "amy")
    clock.advance(ALERTS.record_every_s - 1)  # the figures were read under record_every_s ago: kept
    watch.tick()
    assert "frt" in active(desk)
    clock.advance(1)
    watch.tick()
    assert deliveries(desk.redis) == [("frt", "firing"), ("frt", "cleared")]
    assert "the last 60 min's average 5.8 min" in json.loads(desk.redis.hget(keys.ALERT_DELIVERIES, "2"))["text"]


def rated(desk: Desk, clock, cid: str, rating: int) -> None:
    desk.queue.enqueue(handoff(cid, created_at=clock()))
    desk.queue.reply(cid, "amy")
    clock.advance(10)
    desk.queue.resolve(cid, "amy")
    desk.queue.rate(cid, rating)


def test_csat_fires_under_the_threshold_over_the_last_n_ratings_only(make_desk, clock, record_db):
    desk = make_desk(amy=agent_profile(5))
    watch = Watch(desk, record_db)
    online(desk, "amy")
    for i, rating in enumerate([1, 2, 3]):  # three bad ratings, but the rule needs csat_last = 4
        rated(desk, clock, f"a{i}", rating)
    watch.tick()
    assert deliveries(desk.redis, "csat") == []
    rated(desk, clock, "a3", 4)  # 1 2 3 4: 2.50
    clock.advance(ALERTS.record_every_s)
    watch.tick()
    assert active(desk)["csat"]["text"] == "CSAT averaged 2.50 over the last 4 ratings. Alert under 3.5."
    for i, rating in enumerate([5, 5]):  # 2 3 4 5: 3.50, not under; then 3 4 5 5
        rated(desk, clock, f"b{i}", rating)
        clock.advance(ALERTS.record_every_s)
        watch.tick()
    assert deliveries(desk.redis, "csat") == [("csat", "firing"), ("csat", "cleared")]
    rated(desk, clock, "c0", 1)  # 4 5 5 1: 3.75, still fine
    clock.advance(ALERTS.record_every_s)
    watch.tick()
    rated(desk, clock, "c1", 2)  # 5 5 1 2: 3.25
    clock.advance(ALERTS.record_every_s)
    watch.tick(3)
    assert deliveries(desk.redis, "csat") == [("csat", "firing"), ("csat", "cleared"), ("csat", "firing")]
    delivered = json.loads(desk.redis.hget(keys.ALERT_DELIVERIES, desk.redis.lindex(keys.ALERT_OUTBOX, -1)))
    assert (delivered["value"], delivered["threshold"]) == (3.25, 3.5)


def test_queue_unattended_fires_when_chats_wait_with_no_agent_online(make_desk, clock, record_db):
    desk = make_desk(amy=agent_profile(1), ben=agent_profile(1))
    watch = Watch(desk, record_db)
    for i in range(2):
        desk.queue.enqueue(handoff(f"c{i}", created_at=clock()))
    watch.tick()
    assert deliveries(desk.redis) == []  # 2 waiting: not over 2
    desk.queue.enqueue(handoff("c2", created_at=clock()))
    watch.tick()
    desk.agents.set_status("amy", "away")  # away is not online
    watch.tick(2)
    assert deliveries(desk.redis) == [("queue_unattended", "firing")]
    assert active(desk)["queue_unattended"]["text"] == "3 chats waiting and no agent online. Alert over 2."
    online(desk, "amy")  # takes one; two wait, but someone is there
    watch.tick(2)
    assert deliveries(desk.redis) == [("queue_unattended", "firing"), ("queue_unattended", "cleared")]
    desk.agents.set_status("amy", "offline")  # her chat goes back: 3 waiting, nobody online
    watch.tick(2)
    assert deliveries(desk.redis, "queue_unattended") == [("queue_unattended", s) for s in ("firing", "cleared",
                                                                                               "firing")]  # fmt: skip


def test_agent_reminders_fire_per_agent_past_the_limit(make_desk, clock, record_db):
    desk = make_desk(amy=agent_profile(3, name="Amy Zhou"), ben=agent_profile(3, name="Ben Carter"))
    watch = Watch(desk, record_db)
    online(desk, "amy")
    for i in range(3):
        desk.queue.enqueue(handoff(f"c{i}", created_at=clock()))
        desk.queue.reply(f"c{i}", "amy")
        desk.queue.buyer_message(f"c{i}")  # each buyer wrote again and waits for amy
    online(desk, "ben")
    desk.queue.enqueue(handoff("b0", created_at=clock()))
    desk.queue.reply("b0", "ben")
    desk.queue.buyer_message("b0")
    clock.advance(301)
    assert sorted(r[0] for r in fire_due(desk)) == ["reminded"] * 4
    watch.tick(3)
    assert deliveries(desk.redis) == [("agent_reminders:amy", "firing")]  # ben has 1: not over 1
    assert active(desk)["agent_reminders:amy"]["text"] == (
        "Amy Zhou (amy) has 3 reminded chats still unanswered. Alert over 1."
    )
    desk.queue.reply("c0", "amy")
    watch.tick()
    assert "agent_reminders:amy" in active(desk)  # 2 left
    desk.queue.reply("c1", "amy")
    watch.tick(2)
    assert deliveries(desk.redis) == [("agent_reminders:amy", "firing"), ("agent_reminders:amy", "cleared")]
    desk.queue.reply("c2", "amy")
    desk.queue.reply("b0", "ben")  # nothing owed, no timers left
    for cid in ("c0", "c1"):
        desk.queue.buyer_message(cid)
    clock.advance(301)
    assert fire_due(desk) == [["reminded", "amy"]] * 2
    watch.tick(2)
    assert deliveries(desk.redis) == [("agent_reminders:amy", s) for s in ("firing", "cleared", "firing")]
    assert active(desk)["agent_reminders:amy"]["text"].startswith("Amy Zhou (amy) has 2 reminded chats")


def test_a_raise_or_clear_tells_open_consoles_and_an_unchanged_alert_does_not(make_desk, redis_client):
    desk = make_desk()
    listener = redis_client.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(keys.LIVE)
    listener.get_message(timeout=1)  # the subscription
    assert desk.alerts.raise_alert("csat", "low", 3.0, 3.5) == "firing"
    assert desk.alerts.raise_alert("csat", "still low", 3.1, 3.5) == "updated"
    assert desk.alerts.clear("csat", "fine", 4.0, 3.5) == "cleared"
    assert desk.alerts.clear("csat", "fine", 4.0, 3.5) == "quiet"
    redis_client.publish(keys.LIVE, json.dumps({"kind": "end"}))  # everything before it has arrived by then
    heard = []
    while (message := listener.get_message(timeout=5)) is not None and json.loads(message["data"])["kind"] != "end":
        heard.append(json.loads(message["data"]))
    listener.close()
    assert heard == [{"kind": "alert", "conversation_id": "", "agent": ""}] * 2
    assert deliveries(desk.redis) == [("csat", "firing"), ("csat", "cleared")]


def test_the_console_sees_a_rule_alert_after_a_sweep(hd):
    """Six chats and no agent online (shop.yml: queue_over 5): GET /queue carries the alert after one sweep."""
    for i in range(6):
        assert hd.post("/handoffs", {"conversation_id": f"web-{i}", "language": "en"}).status_code == 201
    assert hd.get("/queue").json["alerts"] == []
    hd.sweep()
    [alert] = hd.get("/queue").json["alerts"]
    assert alert["name"] == "queue_unattended" and alert["text"].startswith("6 chats waiting and no agent online")


# -- the webhook -----------------------------------------------------------------------------------
class Receiver:
    """A real HTTP server on a port of its own that records every POST and answers the status it is told."""

    def __init__(self, port: int) -> None:
        self.port, self.got, self.answers = port, [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.answers.pop(0) if receiver.answers else 200
                receiver.got.append({"headers": dict(self.headers), "body": body, "status": status})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/alerts"

    def accepted(self) -> List[dict]:
        return [json.loads(g["body"]) for g in self.got if g["status"] == 200]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(free_port())
    yield r
    r.close()


def verified(secret: str, headers: Dict[str, str], body: bytes) -> bool:
    """What a receiver does (README "Alerts"): recompute the HMAC over timestamp + "." + body."""
    timestamp = headers["X-Kefu-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Kefu-Signature"])


def sender(desk: Desk, url: str, **hook) -> WebhookSender:
    return WebhookSender(desk.redis, AlertWebhook(url=url, timeout_s=2, **hook), SECRET, "Kefu Demo", desk.clock)


def test_each_firing_and_clearing_is_posted_once_signed_and_in_order(make_desk, clock, receiver):
    desk = make_desk()
    desk.alerts.raise_alert("queue_unattended", "7 chats are waiting and no agent is online. Alert over 5.", 7, 5)
    clock.advance(90)
    desk.alerts.raise_alert("queue_unattended", "8 chats are waiting", 8, 5)  # the same breach: not posted
    desk.alerts.clear("queue_unattended", "The queue is attended", 2, 5)
    hook = sender(desk, receiver.url)
    assert hook.send_due() == {"webhook_sent": 2}
    assert hook.send_due() == {} and len(receiver.got) == 2
    first, second = receiver.got
    assert all(verified(SECRET, g["headers"], g["body"]) for g in receiver.got)
    assert not verified("another secret", first["headers"], first["body"])
    assert first["headers"]["Content-Type"].startswith("application/json")
    start = 1_800_000_000.0
    assert json.loads(first["body"]) == {
        "alert": "queue_unattended", "state": "firing", "text": "7 chats are waiting and no agent is online. "
        "Alert over 5.", "value": 7, "threshold": 5, "since": start, "at": start, "shop": "Kefu Demo",
    }  # fmt: skip
    assert json.loads(second["body"]) == {
        "alert": "queue_unattended", "state": "cleared", "text": "The queue is attended", "value": 2,
        "threshold": 5, "since": start, "at": start + 90, "shop": "Kefu Demo",
    }  # fmt: skip
    assert first["headers"]["X-Kefu-Timestamp"] == str(int(start + 90))
    assert desk.redis.llen(keys.ALERT_OUTBOX) == 0 and desk.redis.hlen(keys.ALERT_DELIVERIES) == 0


def test_a_receiver_that_was_down_gets_it_after_the_backoff_and_a_restart(make_desk, clock):
    desk = make_desk()
    port = free_port()  # nothing listens yet
    url = f"http://127.0.0.1:{port}/alerts"
    desk.alerts.raise_alert("csat", "CSAT averaged 3.00", 3.0, 3.5)
    assert sender(desk, url).send_due() == {"webhook_retry": 1}
    desk.alerts.clear("csat", "CSAT is back", 4.0, 3.5)  # waits behind the first: they arrive in order
    receiver = Receiver(port)
    try:
        restarted = sender(desk, url)  # a new process: the outbox is in Redis
        assert restarted.send_due() == {} and receiver.got == []  # still backing off (retry_s = 5)
        clock.advance(5)
        receiver.answers = [503]
        assert restarted.send_due() == {"webhook_retry": 1}  # 5xx: retried, 10 s later this time
        clock.advance(9)
        assert restarted.send_due() == {}
        clock.advance(1)
        assert restarted.send_due() == {"webhook_sent": 2}
        assert [(b["alert"], b["state"]) for b in receiver.accepted()] == [("csat", "firing"), ("csat", "cleared")]
        ids = [g["headers"]["X-Kefu-Delivery"] for g in receiver.got]
        assert ids[0] == ids[1] != ids[2]  # the retry of the same delivery says so
        assert restarted.send_due() == {} and len(receiver.got) == 3
    finally:
        receiver.close()


def test_a_delivery_is_dropped_after_the_last_try_or_at_once_on_a_4xx_and_logged(make_desk, clock, receiver,
                                                                                  caplog):  # fmt: skip
    desk = make_desk()
    hook = sender(desk, receiver.url, tries=3, retry_s=1)
    desk.alerts.raise_alert("frt", "slow", 16.0, 15)
    desk.alerts.raise_alert("csat", "low", 3.0, 3.5)
    receiver.answers = [500, 500, 500, 401]
    with caplog.at_level(logging.WARNING, logger="helpdesk.alert_webhook"):
        assert hook.send_due() == {"webhook_retry": 1}
        clock.advance(1)
        assert hook.send_due() == {"webhook_retry": 1}
        clock.advance(2)
        assert hook.send_due() == {"webhook_failed": 2}  # frt's last try, then csat refused with a 401
    assert hook.send_due() == {}
    assert [g["status"] for g in receiver.got] == [500, 500, 500, 401]
    failed = [json.loads(f) for f in desk.redis.lrange(keys.ALERT_FAILED, 0, -1)]
    assert [(f["alert"], f["why"]) for f in failed] == [("csat", "HTTP 401"), ("frt", "HTTP 500")]
    assert "gave up on frt firing after 3 tries" in caplog.text and desk.redis.llen(keys.ALERT_OUTBOX) == 0


def test_the_sweeper_evaluates_and_posts_in_the_same_tick(make_desk, clock, record_db, receiver):
    desk = make_desk()
    cfg = CFG.copy(update={"alerts": Alerts(rules=RULES, webhook=AlertWebhook(url=receiver.url))})
    sweeper = Sweeper(desk, record_db, cfg, None, SECRET)
    for i in range(3):
        desk.queue.enqueue(handoff(f"c{i}", created_at=clock()))
    sweeper.tick()
    sweeper.tick()
    assert [(b["alert"], b["state"], b["shop"]) for b in receiver.accepted()] == [
        ("queue_unattended", "firing", CFG.shop.name.en)
    ]
    sweeper.webhook.close()


def test_the_record_down_stops_neither_a_live_alert_nor_its_delivery(make_desk, clock, receiver):
    desk = make_desk()
    desk.redis.set(keys.EPOCH, repr(clock()))  # the live state is there: no rebuild from SQL
    unreachable = sessionmaker(bind=create_engine(f"postgresql://kefu@127.0.0.1:{free_port()}/kefu"))
    cfg = CFG.copy(update={"alerts": Alerts(rules=RULES, webhook=AlertWebhook(url=receiver.url))})
    sweeper = Sweeper(desk, unreachable, cfg, None, SECRET)
    for i in range(3):
        desk.queue.enqueue(handoff(f"c{i}", created_at=clock()))
    with pytest.raises(OperationalError):  # the copy into SQL fails, and the sweep says so
        sweeper.tick()
    assert [(b["alert"], b["state"]) for b in receiver.accepted()] == [("queue_unattended", "firing")]
    assert desk.redis.xlen(keys.EVENTS) > 0  # kept until the record is back
    sweeper.webhook.close()


# -- many processes --------------------------------------------------------------------------------
def _url(client: redis.Redis) -> str:
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    return f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs['db']}"


def _evaluate(url: str, record_url: str, now: float, start) -> None:
    client = redis.Redis.from_url(url, decode_responses=True)
    desk = Desk.from_scripts(LuaScripts(client, clock=lambda: now))
    record = open_record(record_url)
    start.wait()
    AlertWatch(desk, record, ALERTS).check()
    db.close(record)


def _raise_and_clear(url: str, rounds: int, barrier) -> None:
    """Past the evaluation lease: every process raises, then every process clears, at the same moment."""
    client = redis.Redis.from_url(url, decode_responses=True)
    desk = Desk.from_scripts(LuaScripts(client))
    for i in range(rounds):
        barrier.wait()
        desk.alerts.raise_alert("queue_unattended", f"round {i}", 9, 5)
        barrier.wait()
        desk.alerts.clear("queue_unattended", f"round {i} over", 0, 5)


def test_processes_evaluating_at_once_fire_once(make_desk, clock, helpdesk_db, record_db, redis_client):
    desk = make_desk()
    for i in range(3):
        desk.queue.enqueue(handoff(f"c{i}", created_at=clock()))
    ctx = mp.get_context("fork")
    for now in (clock(), clock() + 1):  # the second moment: still the same breach
        start = ctx.Event()
        procs = [ctx.Process(target=_evaluate, args=(_url(redis_client), helpdesk_db, now, start)) for _ in range(4)]
        run_processes(procs, start)
    assert deliveries(redis_client) == [("queue_unattended", "firing")]


def test_processes_raising_and_clearing_at_once_fire_and_clear_once_each(redis_client):
    ctx = mp.get_context("fork")
    rounds, barrier = 20, ctx.Barrier(4)
    run_processes([ctx.Process(target=_raise_and_clear, args=(_url(redis_client), rounds, barrier)) for _ in range(4)])
    assert deliveries(redis_client) == [("queue_unattended", "firing"), ("queue_unattended", "cleared")] * rounds
