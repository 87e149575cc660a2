"""Agent logins: scrypt password hashes in SQL (the agents themselves are in shop.yml).

    python -m helpdesk.accounts set-password amy        # asks for the password
    python -m helpdesk.accounts set-password amy --password-stdin < file
    python -m helpdesk.accounts demo --password-stdin   # the same password for every agent (the demo)
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import hmac
import secrets
import sys
import time
from typing import Optional

from sqlalchemy import Column, Float, String
from sqlalchemy.orm import Session

from helpdesk.store import Base

_N, _R, _P = 2**14, 8, 1  # scrypt cost: ~50 ms per check on this class of machine


class AgentAccount(Base):
    __tablename__ = "agent_accounts"

    agent_id = Column(String(40), primary_key=True)
    password_hash = Column(String(200), nullable=False)
    updated_at = Column(Float, nullable=False)


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


def main() -> None:
    from helpdesk import services

    ap = argparse.ArgumentParser(description="agent passwords")
    sub = ap.add_subparsers(dest="command", required=True)
    sp = sub.add_parser("set-password")
    sp.add_argument("agent")
    sp.add_argument("--password-stdin", action="store_true")
    demo = sub.add_parser("demo")
    demo.add_argument("--password-stdin", action="store_true")
    args = ap.parse_args()
    known = sorted(a.id for a in services.cfg().helpdesk.agents)
    agents = known if args.command == "demo" else [args.agent]
    if args.command == "set-password" and args.agent not in known:
        sys.exit(f"no agent {args.agent!r} in the shop config ({', '.join(known)})")
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("password: ")
    try:
        with services.sessions().begin() as session:
            for agent in agents:
                set_password(session, agent, password)
    except ValueError as exc:
        sys.exit(str(exc))
    print(f"password set for {', '.join(agents)}")


if __name__ == "__main__":
    main()
