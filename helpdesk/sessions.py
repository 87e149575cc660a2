"""Console sessions in Redis: an opaque cookie, a CSRF token per session, and a login rate limit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Optional

import redis

from helpdesk import keys

COOKIE = "kefu_session"
TTL_S = 8 * 3600  # a shift
LOGIN_TRIES_PER_MINUTE = 10


@dataclass(frozen=True)
class ConsoleSession:
    token: str
    agent: str
    role: str
    csrf: str


def _key(token: str) -> str:
    return f"{keys.PREFIX}:session:{token}"


def start(client: redis.Redis, agent: str, role: str) -> ConsoleSession:
    s = ConsoleSession(secrets.token_urlsafe(32), agent, role, secrets.token_urlsafe(24))
    client.hset(_key(s.token), mapping={"agent": agent, "role": role, "csrf": s.csrf})
    client.expire(_key(s.token), TTL_S)
    return s


def find(client: redis.Redis, token: Optional[str]) -> Optional[ConsoleSession]:
    if not token or len(token) > 100:
        return None
    data = client.hgetall(_key(token))
    if not data:
        return None
    client.expire(_key(token), TTL_S)  # sliding: an active agent stays logged in
    return ConsoleSession(token, data["agent"], data["role"], data["csrf"])


def end(client: redis.Redis, token: str) -> None:
    client.delete(_key(token))


def login_allowed(client: redis.Redis, remote: str) -> bool:
    """At most LOGIN_TRIES_PER_MINUTE login attempts per address per minute."""
    key = f"{keys.PREFIX}:login_tries:{remote}"
    with client.pipeline() as pipe:
        pipe.set(key, 0, ex=60, nx=True)  # the window opens with the first try; INCR keeps its expiry
        pipe.incr(key)
        _, tries = pipe.execute()
    return int(tries) <= LOGIN_TRIES_PER_MINUTE
