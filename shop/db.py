"""SQL engines and sessions, for the shop's data and for the helpdesk's record alike."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker


def make_engine(url: str) -> Engine:
    """An engine that also works from worker threads (the services run SQL off their event loops). A SQLite
    file's folder is made if missing (a fresh clone has no var/)."""
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        return create_engine(url, connect_args={"check_same_thread": False}, future=True)
    return create_engine(url, pool_pre_ping=True, future=True)


def session_maker(engine: Engine) -> sessionmaker:
    """Sessions whose objects stay readable after commit (they are turned into plain views)."""
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


def close(sessions: sessionmaker) -> None:
    """Close the connections of the engine behind a session maker."""
    sessions.kw["bind"].dispose()
