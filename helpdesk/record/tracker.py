"""Rasa's SQL tracker store as kefu reads it (connectors/stores.py writes it through Rasa's own model): one row per
event, its JSON in `data`, written by json.dumps with ASCII escapes (a Chinese character is stored as \\uXXXX).
Only sender_id is indexed (rasa/core/tracker_store.py SQLTrackerStore.SQLEvent)."""

from __future__ import annotations

import sqlalchemy as sa

EVENTS = sa.table(
    "events",
    sa.column("id"),
    sa.column("sender_id"),
    sa.column("type_name"),
    sa.column("timestamp"),
    sa.column("data"),
)
