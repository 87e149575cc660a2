"""Handoffs: a conversation queued for a human, taken, answered, moved and resolved, then rated.

Every change is one Lua script (helpdesk/scripts.py). The agents' side of the same state (who is
online, their load) is helpdesk/agents.py; what time makes happen is helpdesk/timers.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Tuple

from helpdesk import keys
from helpdesk.agents import Agents
from helpdesk.payloads import HandoffRecord
from helpdesk.scripts import HandoffError, LuaScripts, queue_score


@dataclass(frozen=True)
class Placement:
    """Where an enqueued conversation stands right after the call."""

    queued: bool  # False: it was already waiting or assigned (nothing changed)
    state: str  # waiting | assigned
    agent: str  # "" while waiting
    position: int  # 1-based place in the waiting list, 0 when assigned


class HandoffQueue:
    def __init__(self, scripts: LuaScripts, agents: Agents) -> None:
        self.scripts = scripts
        self.redis = scripts.redis
        self.agents = agents

    # -- the bot's side -------------------------------------------------------------------
    def enqueue(self, record: HandoffRecord) -> Placement:
        """Queue a conversation for a human and assign it at once if an agent has room.

        A conversation that is already waiting or assigned is left as it is (queued=False).
        """
        created = float(record.get("created_at") or self.scripts.clock())
        fields = {**record, "created_at": created, "vip": "1" if record.get("vip") else "0"}
        flat: List[str] = []
        for key, value in fields.items():
            flat += [key, "" if value is None else str(value)]
        cid = record["conversation_id"]
        queued, state, agent, position = self.scripts.run(
            "enqueue", cid, repr(queue_score(int(record["priority"]), created)), *flat
        )
        return Placement(bool(queued), state, agent or "", int(position))

    def conversation_seen(self, conversation_id: str, session_s: int, known: Dict[str, str]) -> Tuple[str, bool]:
        """The buyer is active: the first call of a session records a conversation (for the reports), later
        ones what it learned since (known: channel, language, category, customer, order_number; "" unknown).
        Returns the conversation record's id and whether this call started it."""
        fields = [known.get(name, "") or "" for name in ("channel", "language", "category", "customer", "order_number")]
        rec, started = self.scripts.run("conversation", conversation_id, int(session_s), *fields)
        return rec, bool(started)

    def buyer_message(self, conversation_id: str) -> str:
        """The buyer wrote during a handoff; returns the handoff state ("" if none)."""
        return self.scripts.run("buyer_message", conversation_id)[0]

    def rate(self, conversation_id: str, rating: int) -> None:
        """The buyer's 1-5 rating of a resolved handoff (the first one counts)."""
        self.scripts.checked("rate", conversation_id, int(rating))

    # -- the agents' side -----------------------------------------------------------------
    def claim(self, conversation_id: str, agent_id: str) -> None:
        self.scripts.checked("claim", conversation_id, agent_id)

    def reply(self, conversation_id: str, agent_id: str) -> None:
        """The owner answered; stops the reminder and reassignment timers."""
        self.scripts.checked("reply", conversation_id, agent_id)

    def transfer(
        self,
        conversation_id: str,
        by: str,
        to_agent: str = "",
        to_group: str = "",
        force: bool = False,
    ) -> str:
        """Hand the chat to an agent (online, with room) or a group; returns the new owner ("" if waiting)."""
        if bool(to_agent) == bool(to_group):
            raise HandoffError("need_agent_or_group")
        (owner,) = self.scripts.checked("transfer", conversation_id, by, to_agent, to_group, "1" if force else "0")
        return owner or ""

    def resolve(self, conversation_id: str, by: str, force: bool = False) -> str:
        """Close the handoff; returns the agent who owned it. The bot resumes via the resume outbox."""
        return self.scripts.checked("resolve", conversation_id, by, "1" if force else "0")[0]

    def dispatch(self) -> List[str]:
        """Assign what can be assigned now; returns the conversation ids assigned."""
        return self.scripts.run("dispatch")

    # -- reads ----------------------------------------------------------------------------
    def waiting(self) -> List[str]:
        """Waiting conversation ids, first to be served first."""
        return list(self.redis.zrange(keys.WAITING, 0, -1))

    def get(self, conversation_id: str) -> Dict[str, str]:
        return dict(self.redis.hgetall(keys.conversation(conversation_id)))

    def holds(self, conversation_id: str) -> bool:
        """True while the conversation waits for an agent or has one: the bot must stay quiet."""
        return self.redis.hget(keys.conversation(conversation_id), "state") in ("waiting", "assigned")

    def position(self, conversation_id: str) -> int:
        rank = self.redis.zrank(keys.WAITING, conversation_id)
        return 0 if rank is None else rank + 1

    def eta_minutes(self, position: int, default_handle_s: float) -> int:
        """Minutes until an agent can take the chat at `position`, from recent handling times.

        Every online agent's slot frees up once per average handling time, so the line moves at
        (slots / handle time) chats per second. With nobody online, every agent's slots count.
        """
        times = [float(t) for t in self.redis.lrange(keys.HANDLE_TIMES, 0, -1)]
        handle = sum(times) / len(times) if times else default_handle_s
        profiles = self.agents.all()
        online = [a for a in profiles if a.get("status") == "online"]
        slots = sum(int(a.get("capacity") or 0) for a in (online or profiles)) or 1
        return max(1, math.ceil(position * handle / slots / 60))
