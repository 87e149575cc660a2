"""Restore the live state in Redis from the SQL record, after Redis lost its data.

    python -m helpdesk.web rebuild    # the same thing the helpdesk does when it finds Redis empty

Agents come from shop.yml; waiting and assigned handoffs, their order, owners and timers from
SQL. A conversation Redis already has (enqueued after the loss) is left alone. Presence is not
restored: agents who own chats stay unassigned-to until their next heartbeat, and are signed off
by the usual heartbeat timeout if none comes.
"""

from __future__ import annotations

import logging
from typing import Dict

import redis
from sqlalchemy.orm import sessionmaker

from helpdesk import keys
from helpdesk.desk import Desk
from helpdesk.lease import lease
from helpdesk.record.events import open_handoffs, recent_handle_times
from helpdesk.record.models import Handoff
from shop.config import ShopConfig

log = logging.getLogger(__name__)


def _fields(h: Handoff) -> Dict[str, str]:
    def s(value) -> str:
        return "" if value is None else repr(value) if isinstance(value, float) else str(value)

    return {
        "conversation_id": h.conversation_id, "channel": h.channel, "customer": h.customer,
        "language": h.language, "category": h.category, "priority": str(h.priority), "vip": "1" if h.vip else "0",
        "reason": h.reason, "order_number": h.order_number or "", "summary": h.summary,
        "created_at": s(h.created_at), "handoff_id": h.id, "state": h.state, "agent": h.agent or "",
        "score": repr(h.score), "front": "1" if h.front else "", "group": h.group or "", "exclude": "",
        "assigned_at": s(h.assigned_at), "unreplied_since": s(h.unreplied_since), "reminded_at": s(h.reminded_at),
        "first_reply_at": s(h.first_reply_at),
    }  # fmt: skip


def _restore(client: redis.Redis, h: Handoff, desk: Desk, now: float) -> bool:
    key = keys.conversation(h.conversation_id)
    with client.pipeline(transaction=True) as pipe:
        try:
            pipe.watch(key)
            if pipe.exists(key):
                return False  # enqueued again since Redis lost its data: that state is newer
            pipe.multi()
            pipe.hset(key, mapping=_fields(h))
            if h.state == "waiting":
                pipe.zadd(keys.WAITING, {h.conversation_id: h.score})
            else:
                pipe.sadd(keys.chats(h.agent), h.conversation_id)
                pipe.zadd(keys.PRESENCE, {h.agent: now}, nx=True)  # so a missing agent times out
                if h.unreplied_since is not None:
                    kind, at = (
                        ("reassign", h.reminded_at + desk.scripts.reassign_after_s)
                        if h.reminded_at is not None
                        else ("remind", h.unreplied_since + desk.scripts.remind_after_s)
                    )
                    pipe.zadd(keys.TIMERS, {f"{kind}|{h.conversation_id}": at})
            pipe.execute()
            return True
        except redis.WatchError:
            return False


def rebuild(desk: Desk, db: sessionmaker, cfg: ShopConfig) -> int:
    """Restore open handoffs from SQL; returns how many were restored (0 if another process is at it)."""
    client = desk.redis
    with lease(client, "rebuild", ttl_ms=60_000) as held:
        if not held:
            return 0
        desk.agents.register_all(cfg.helpdesk.chat_agents)
        with db() as session:
            rows = open_handoffs(session)
            times = recent_handle_times(session)
        now = desk.clock()
        restored = sum(_restore(client, h, desk, now) for h in rows)
        if times and not client.exists(keys.HANDLE_TIMES):
            client.rpush(keys.HANDLE_TIMES, *times)
        client.set(keys.EPOCH, repr(now))
        desk.queue.dispatch()
        log.warning("rebuilt the live handoff state from SQL: %d open handoffs restored", restored)
        return restored


def ensure_state(desk: Desk, db: sessionmaker, cfg: ShopConfig) -> bool:
    """Rebuild if Redis has no state (first start, or it lost its data); True if it rebuilt."""
    if desk.redis.exists(keys.EPOCH):
        return False
    rebuild(desk, db, cfg)
    return True
