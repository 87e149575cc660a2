"""The live human queue in Redis. Every transition is one Lua script (helpdesk/lua/), so any
number of action-server and helpdesk processes can change it at once.

A script answers with a status first ("ok" or why not); HandoffQueue turns a refusal into a
HandoffError whose code the HTTP API maps to a 4xx.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

import redis

from helpdesk import keys
from helpdesk.records import HandoffRecord

LUA = Path(__file__).with_name("lua")
STATUSES = ("online", "away", "offline")

# Priority dominates the score; within a priority, earlier requests score lower.
_PRIORITY_WEIGHT = 10**12


def queue_score(priority: int, created_at: float) -> float:
    return -priority * _PRIORITY_WEIGHT + created_at


class HandoffError(Exception):
    """A transition that the live state refuses: code is e.g. not_yours, agent_full."""

    def __init__(self, code: str, owner: str = "") -> None:
        super().__init__(code if not owner else f"{code} (owner: {owner})")
        self.code = code
        self.owner = owner


@dataclass(frozen=True)
class Placement:
    """Where an enqueued conversation stands right after the call."""

    queued: bool  # False: it was already waiting or assigned (nothing changed)
    state: str  # waiting | assigned
    agent: str  # "" while waiting
    position: int  # 1-based place in the waiting list, 0 when assigned


def _load(name: str) -> str:
    common = (LUA / "common.lua").read_text().replace("__PREFIX__", keys.PREFIX)
    return common + (LUA / f"{name}.lua").read_text()


class HandoffQueue:
    def __init__(
        self,
        client: redis.Redis,
        mode: str = "round_robin",
        remind_after_s: float = 300,
        reassign_after_s: float = 180,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = client
        self.mode = mode
        self.remind_after_s = remind_after_s
        self.reassign_after_s = reassign_after_s
        self.clock = clock
        self._scripts = {
            name: client.register_script(_load(name))
            for name in (
                "enqueue", "claim", "reply", "buyer_message", "transfer", "resolve",
                "presence", "timer", "rate", "register", "dispatch", "audit",
            )  # fmt: skip
        }

    @classmethod
    def from_config(cls, client: redis.Redis, cfg, clock: Callable[[], float] = time.time) -> "HandoffQueue":
        """Mode and timers from the shop config (actions.shop_config.ShopConfig)."""
        t = cfg.timers
        return cls(client, cfg.helpdesk.assignment, t.remind_after_s, t.reassign_after_s, clock)

    def _run(self, script: str, *args) -> list:
        common = [repr(self.clock()), self.remind_after_s, self.reassign_after_s, self.mode]
        return self._scripts[script](keys=[keys.WAITING], args=[*common, *args])

    def _checked(self, script: str, *args) -> list:
        result = self._run(script, *args)
        if result[0] != "ok":
            raise HandoffError(result[0], result[1] if len(result) > 1 else "")
        return result[1:]

    # -- the bot's side -------------------------------------------------------------------
    def enqueue(self, record: HandoffRecord) -> Placement:
        """Queue a conversation for a human and assign it at once if an agent has room.

        A conversation that is already waiting or assigned is left as it is (queued=False).
        """
        created = float(record.get("created_at") or self.clock())
        fields = {**record, "created_at": created, "vip": "1" if record.get("vip") else "0"}
        flat: List[str] = []
        for key, value in fields.items():
            flat += [key, "" if value is None else str(value)]
        cid = record["conversation_id"]
        queued, state, agent, position = self._run(
            "enqueue", cid, repr(queue_score(int(record["priority"]), created)), *flat
        )
        return Placement(bool(queued), state, agent or "", int(position))

    def buyer_message(self, conversation_id: str) -> str:
        """The buyer wrote during a handoff; returns the handoff state ("" if none)."""
        return self._run("buyer_message", conversation_id)[0]

    def rate(self, conversation_id: str, rating: int) -> None:
        self._checked("rate", conversation_id, int(rating))

    # -- the agents' side -----------------------------------------------------------------
    def claim(self, conversation_id: str, agent_id: str) -> None:
        self._checked("claim", conversation_id, agent_id)

    def reply(self, conversation_id: str, agent_id: str) -> None:
        """The owner answered; stops the reminder and reassignment timers."""
        self._checked("reply", conversation_id, agent_id)

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
        (owner,) = self._checked("transfer", conversation_id, by, to_agent, to_group, "1" if force else "0")
        return owner or ""

    def resolve(self, conversation_id: str, by: str, force: bool = False) -> str:
        """Close the handoff; returns the agent who owned it. The bot resumes via the outbox."""
        return self._checked("resolve", conversation_id, by, "1" if force else "0")[0]

    def set_status(self, agent_id: str, status: str) -> List[str]:
        """online / away / offline; going offline returns the chats sent back to the queue."""
        if status not in STATUSES:
            raise HandoffError("bad_status")
        result = self._checked("presence", agent_id, status, "")
        return result[1:]

    def heartbeat(self, agent_id: str) -> str:
        return self._checked("presence", agent_id, "heartbeat", "")[0]

    def expire(self, agent_id: str, cutoff: float) -> Optional[List[str]]:
        """Sign the agent off if their last heartbeat is older than cutoff; None if they are alive."""
        result = self._run("presence", agent_id, "expire", repr(cutoff))
        if result[0] == "alive":
            return None
        if result[0] != "ok":
            raise HandoffError(result[0])
        return result[2:]

    def register_agent(self, agent_id: str, profile: Dict[str, str]) -> None:
        flat: List[str] = []
        for key, value in profile.items():
            flat += [key, value]
        self._checked("register", agent_id, *flat)

    def dispatch(self) -> List[str]:
        """Assign what can be assigned now; returns the conversation ids assigned."""
        return self._run("dispatch")

    def fire(self, member: str) -> list:
        """Fire one due timer; [] -style 'not_due'/'stale' results mean another process had it."""
        return self._run("timer", member)

    # -- reads ----------------------------------------------------------------------------
    def waiting(self) -> List[str]:
        """Waiting conversation ids, first to be served first."""
        return list(self.redis.zrange(keys.WAITING, 0, -1))

    def get(self, conversation_id: str) -> Dict[str, str]:
        return dict(self.redis.hgetall(keys.conversation(conversation_id)))

    def position(self, conversation_id: str) -> int:
        rank = self.redis.zrank(keys.WAITING, conversation_id)
        return 0 if rank is None else rank + 1

    def agent(self, agent_id: str) -> Dict[str, object]:
        profile: Dict[str, object] = dict(self.redis.hgetall(keys.agent(agent_id)))
        if profile:
            profile["id"] = agent_id
            profile["chats"] = sorted(self.redis.smembers(keys.chats(agent_id)))
            profile["load"] = len(profile["chats"])
            profile.setdefault("status", "offline")
        return profile

    def agents(self) -> List[Dict[str, object]]:
        return [self.agent(a) for a in sorted(self.redis.zrange(keys.ROTATION, 0, -1))]

    def due_timers(self, limit: int = 200) -> List[str]:
        return list(self.redis.zrangebyscore(keys.TIMERS, "-inf", self.clock(), start=0, num=limit))

    def silent_agents(self, cutoff: float) -> List[str]:
        return list(self.redis.zrangebyscore(keys.PRESENCE, "-inf", f"({cutoff}"))

    def eta_minutes(self, position: int, default_handle_s: float) -> int:
        """Minutes until an agent can take the chat at `position`, from recent handling times.

        Every online agent's slot frees up once per average handling time, so the line moves at
        (slots / handle time) chats per second. With nobody online, every agent's slots count.
        """
        times = [float(t) for t in self.redis.lrange(keys.HANDLE_TIMES, 0, -1)]
        handle = sum(times) / len(times) if times else default_handle_s
        profiles = self.agents()
        online = [a for a in profiles if a.get("status") == "online"]
        slots = sum(int(a.get("capacity") or 0) for a in (online or profiles)) or 1
        return max(1, math.ceil(position * handle / slots / 60))
