"""Console logins in Redis: an opaque cookie, a CSRF token per login, and a login rate limit."""

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
class ConsoleLogin:
    token: str
    agent: str
    role: str
    csrf: str


def start(client: redis.Redis, agent: str, role: str) -> ConsoleLogin:
    s = ConsoleLogin(secrets.token_urlsafe(32), agent, role, secrets.token_urlsafe(24))
    client.hset(keys.login(s.token), mapping={"agent": agent, "role": role, "csrf": s.csrf})
    client.expire(keys.login(s.token), TTL_S)
    return s


def find(client: redis.Redis, token: Optional[str]) -> Optional[ConsoleLogin]:
    if not token or len(token) > 100:
        return None
    data = client.hgetall(keys.login(token))
    if not data:
        return None
    client.expire(keys.login(token), TTL_S)  # sliding: an active agent stays logged in
    return ConsoleLogin(token, data["agent"], data["role"], data["csrf"])


def end(client: redis.Redis, token: str) -> None:
    client.delete(keys.login(token))


def login_allowed(client: redis.Redis, remote: str) -> bool:
    """Fewer than LOGIN_TRIES_PER_MINUTE failed logins from this address in its current minute. Only failures
    count: a shift of agents behind one office address all log in at nine."""
    return int(client.get(keys.login_tries(remote)) or 0) < LOGIN_TRIES_PER_MINUTE


def login_failed(client: redis.Redis, remote: str) -> None:
    key = keys.login_tries(remote)
    with client.pipeline() as pipe:
        pipe.set(key, 0, ex=60, nx=True)  # the window opens with the first failure; INCR keeps its expiry
        pipe.incr(key)
        pipe.execute()
