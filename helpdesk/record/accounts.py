"""Agents' console passwords: scrypt hashes in the record (the agents themselves are in shop.yml).

Set them with `python -m helpdesk.web set-password AGENT` (helpdesk/web/cli.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Optional

from sqlalchemy.orm import Session

from helpdesk.record.models import AgentAccount

_N, _R, _P = 2**14, 8, 1  # scrypt cost: ~50 ms per check on this class of machine


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))  # fmt: skip
    except (ValueError, TypeError):
        return False
    return scheme == "scrypt" and hmac.compare_digest(got, expected)


def set_password(session: Session, agent_id: str, password: str) -> None:
    if len(password) < 8:
        raise ValueError("a password has at least 8 characters")
    account = session.get(AgentAccount, agent_id) or AgentAccount(agent_id=agent_id)
    account.password_hash, account.updated_at = hash_password(password), time.time()
    session.add(account)


def verify(session: Session, agent_id: str, password: str) -> bool:
    account: Optional[AgentAccount] = session.get(AgentAccount, agent_id)
    if account is None:
        check_password(password, hash_password("timing"))  # same cost whether or not the agent exists
        return False
    return check_password(password, account.password_hash)
