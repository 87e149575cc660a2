"""Short leases in Redis, so that one process at a time does a job (copying events, rebuilding)."""

from __future__ import annotations

import contextlib
import secrets
from typing import Iterator

import redis

from helpdesk import keys

# delete the lease only if it is still ours (it may have expired and gone to another process)
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


@contextlib.contextmanager
def lease(client: redis.Redis, name: str, ttl_ms: int) -> Iterator[bool]:
    """Yields True if this process holds the lease `name` for up to ttl_ms, else False."""
    token = secrets.token_hex(8)
    held = bool(client.set(keys.lock(name), token, nx=True, px=ttl_ms))
    try:
        yield held
    finally:
        if held:
            client.eval(_RELEASE, 1, keys.lock(name), token)
