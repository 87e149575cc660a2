"""Restore the live state in Redis from the SQL record, after Redis lost its data.

    python -m helpdesk.rebuild        # the same thing the helpdesk does when it finds Redis empty

Agents come from shop.yml; waiting and assigned handoffs, their order, owners and timers from
SQL. A conversation Redis already has (enqueued after the loss) is left alone. Presence is not
restored: agents who own chats stay unassigned-to until their next heartbeat, and are signed off
by the usual heartbeat timeout if none comes.
"""

from __future__ import annotations

import logging
import time
from typing import Dict

import redis
from sqlalchemy.orm import sessionmaker

from helpdesk import keys
from helpdesk.lease import lease
from helpdesk.queue import HandoffQueue
from helpdesk.store import Handoff, open_handoffs, recent_handle_times

log = logging.getLogger(__name__)


def agent_profile(agent) -> Dict[str, str]:
    """The Redis hash fields of a shop.yml agent."""
    return {
        "name": agent.name,
        "capacity": str(agent.capacity),
        "languages": ",".join(agent.languages),
        "categories": ",".join(agent.categories),
        "groups": ",".join(agent.groups),
        "tier": agent.tier,
        "role": agent.role,
    }


def register_agents(queue: HandoffQueue, cfg) -> None:
    for agent in cfg.helpdesk.agents:
        queue.register_agent(agent.id, agent_profile(agent))


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


def _restore(client: redis.Redis, h: Handoff, queue: HandoffQueue, now: float) -> bool:
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
                        ("reassign", h.reminded_at + queue.reassign_after_s)
                        if h.reminded_at is not None
                        else ("remind", h.unreplied_since + queue.remind_after_s)
                    )
                    pipe.zadd(keys.TIMERS, {f"{kind}|{h.conversation_id}": at})
            pipe.execute()
            return True
        except redis.WatchError:
            return False


def rebuild(queue: HandoffQueue, sessions: sessionmaker, cfg) -> int:
    """Restore open handoffs from SQL; returns how many were restored (0 if another process is at it)."""
    client = queue.redis
    with lease(client, "rebuild", ttl_ms=60_000) as held:
        if not held:
            return 0
        register_agents(queue, cfg)
        with sessions() as session:
            rows = open_handoffs(session)
            times = recent_handle_times(session)
        now = queue.clock()
        restored = sum(_restore(client, h, queue, now) for h in rows)
        if times and not client.exists(keys.HANDLE_TIMES):
            client.rpush(keys.HANDLE_TIMES, *times)
        client.set(keys.EPOCH, repr(now))
        queue.dispatch()
        log.warning("rebuilt the live handoff state from SQL: %d open handoffs restored", restored)
        return restored


def ensure_state(queue: HandoffQueue, sessions: sessionmaker, cfg) -> bool:
    """Rebuild if Redis has no state (first start, or it lost its data); True if it rebuilt."""
    if queue.redis.exists(keys.EPOCH):
        return False
    rebuild(queue, sessions, cfg)
    return True


def main() -> None:
    from helpdesk import services

    logging.basicConfig(level=logging.INFO)
    started = time.time()
    count = rebuild(services.queue(), services.sessions(), services.cfg())
    print(f"restored {count} open handoffs in {time.time() - started:.2f} s")


if __name__ == "__main__":
    main()
