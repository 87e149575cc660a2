"""The helpdesk service as a process (python -m helpdesk.web serve), over real HTTP, as the demo and the
end-to-end tests run it: its sweeper fires the timers in real time, and a service killed with -9 and started
again has lost nothing. Rasa is down, as in test_service.py."""

from __future__ import annotations

import time
from typing import Callable, Iterator, List

import pytest

from tests.helpdesk.conftest import helpdesk_env
from tests.helpdesk.procs import Helpdesk
from tests.polling import wait_for


@pytest.fixture
def start_helpdesk(tmp_path, sqlite_shop, start_redis_server) -> Iterator[Callable[..., Helpdesk]]:
    """Helpdesk processes sharing this test's redis-server and SQLite record."""
    redis_url = start_redis_server(tmp_path)
    started: List[Helpdesk] = []

    def start(timers: dict | None = None) -> Helpdesk:
        started.append(Helpdesk(helpdesk_env(tmp_path, redis_url, sqlite_shop, timers), tmp_path / "helpdesk.log"))
        return started[-1]

    yield start
    for hd in started:
        hd.stop()


def enqueue(hd: Helpdesk, cid: str) -> None:
    r = hd.post("/handoffs", {"conversation_id": cid, "language": "en", "category": "human"})
    assert r.status_code == 201, r.text


def test_the_sweeper_reminds_then_reassigns_in_real_time(start_helpdesk):
    hd = start_helpdesk(timers={"remind_after_s": 1, "reassign_after_s": 1})
    hd.post("/agents/ben/status", {"status": "online"})
    enqueue(hd, "slow-1")
    hd.post("/agents/chen/status", {"status": "online"})
    wait_for(lambda: hd.get("/conversations/slow-1").json()["live"]["agent"] == "chen", timeout=15)

    def kinds() -> list:
        handoffs = hd.get("/conversations/slow-1").json()["handoffs"]
        return [e["kind"] for e in handoffs[0]["events"]] if handoffs else []

    events = wait_for(lambda: "reassigned" in kinds() and kinds())
    assert events[:4] == ["queued", "assigned", "reminded", "reassigned"]


@pytest.mark.slow
def test_an_agent_whose_heartbeats_stop_goes_offline_and_the_chat_returns(start_helpdesk):
    hd = start_helpdesk(timers={"heartbeat_timeout_s": 2})
    hd.post("/agents/ben/status", {"status": "online"})
    enqueue(hd, "hb-1")
    for _ in range(4):  # ben is alive for 4 s ...
        assert hd.post("/agents/ben/heartbeat").json()["status"] == "online"
        time.sleep(1)
    assert hd.get("/agents/ben").json()["status"] == "online"
    wait_for(lambda: hd.get("/agents/ben").json()["status"] == "offline", timeout=10)  # ... then silent
    assert [w["conversation_id"] for w in hd.get("/queue").json()["waiting"]] == ["hb-1"]
    r = hd.post("/agents/ben/heartbeat")
    assert r.status_code == 409 and r.json()["error"] == "offline"


def test_restarting_the_service_keeps_everything(start_helpdesk):
    hd = start_helpdesk()
    hd.post("/agents/ben/status", {"status": "online"})
    enqueue(hd, "r-1")
    enqueue(hd, "r-2")
    hd.stop(kill=True)
    again = start_helpdesk()
    assert again.get("/agents/ben").json()["chats"] == ["r-1", "r-2"]
