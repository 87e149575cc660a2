"""The record's indexes (helpdesk/record/models.py): a record made by an earlier kefu gets the ones declared since,
loses the one they replaced, and the reports' queries use them (benchmarks/reports.py measures how much)."""

from __future__ import annotations

import sqlalchemy
from sqlalchemy import inspect, text

from helpdesk.record.models import Base, open_record
from shop import db

OLD_EVENTS = """CREATE TABLE handoff_events (id INTEGER PRIMARY KEY, stream_id VARCHAR(40) UNIQUE NOT NULL,
    handoff_id VARCHAR(40), conversation_id VARCHAR(255) NOT NULL, kind VARCHAR(32) NOT NULL,
    agent VARCHAR(40) NOT NULL, at FLOAT NOT NULL, detail TEXT NOT NULL)"""


def index_names(engine: sqlalchemy.engine.Engine, table: str) -> set:
    return {i["name"] for i in inspect(engine).get_indexes(table)}


def test_an_earlier_record_gets_the_new_indexes_at_start(helpdesk_db):
    engine = sqlalchemy.create_engine(helpdesk_db)
    with engine.begin() as conn:  # handoff_events as the first release made it
        conn.execute(text(OLD_EVENTS))
        conn.execute(text("CREATE INDEX ix_handoff_events_kind_at ON handoff_events (kind, at)"))
    for _ in range(2):  # and again: nothing left to do
        record = open_record(helpdesk_db)
        db.close(record)
    declared = {table.name: {i.name for i in table.indexes} for table in Base.metadata.sorted_tables}
    for table, names in declared.items():
        assert names <= index_names(engine, table), table
    assert "ix_handoff_events_kind_at" not in index_names(engine, "handoff_events")
    assert {"ix_handoffs_resolved_at", "ix_handoffs_first_reply_at"} <= declared["handoffs"]
    engine.dispose()


def test_the_events_index_covers_what_the_reports_read(helpdesk_db):
    """On PostgreSQL the period's events of a kind are read from the index alone (an index-only scan)."""
    record = open_record(helpdesk_db)
    engine = record.kw["bind"]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            conn.execute(text("SET LOCAL enable_bitmapscan = off"))
            plan = "\n".join(conn.execute(text(
                "EXPLAIN SELECT agent, wait_s, handoff_id FROM handoff_events WHERE kind = 'message' AND at >= 0"
            )).scalars())  # fmt: skip
            assert "Index Only Scan using ix_handoff_events_kind_at_covering" in plan
        else:
            plan = " ".join(str(r) for r in conn.execute(text(
                "EXPLAIN QUERY PLAN SELECT agent FROM handoff_events WHERE kind = 'message' AND at >= 0")))  # fmt: skip
            assert "ix_handoff_events_kind_at_covering" in plan
    db.close(record)
