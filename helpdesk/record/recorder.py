"""Copies the event stream ({kefu}:events) into SQL, one process at a time, in stream order.

An entry is deleted from the stream only after its SQL transaction committed; a crash in
between copies it again later, and events.record_events skips what it already has.
"""

from __future__ import annotations

import redis
from sqlalchemy.orm import sessionmaker

from helpdesk import keys
from helpdesk.lease import lease
from helpdesk.record.events import record_events


def copy_events(client: redis.Redis, db: sessionmaker, batch: int = 1000, max_batches: int = 20) -> int:
    """Copy what the stream holds now; returns the number of new events written."""
    written = 0
    with lease(client, "recorder", ttl_ms=15_000) as held:
        if not held:
            return 0  # another process is copying
        for _ in range(max_batches):
            entries = client.xrange(keys.EVENTS, count=batch)
            if not entries:
                break
            with db.begin() as session:
                written += record_events(session, entries)
            client.xdel(keys.EVENTS, *[stream_id for stream_id, _ in entries])
            if len(entries) < batch:
                break
    return written
