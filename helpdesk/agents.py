"""The agents in the live state: their profiles (from shop.yml), presence, and the chats they hold.

Presence changes are Lua scripts (helpdesk/scripts.py): going offline sends the agent's chats back
to the front of the queue in the same step, and coming online assigns waiting chats at once.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from helpdesk import keys
from helpdesk.scripts import HandoffError, LuaScripts
from shop.config import Agent

STATUSES = ("online", "away", "offline")


def profile_of(agent: Agent) -> Dict[str, str]:
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


class Agents:
    def __init__(self, scripts: LuaScripts) -> None:
        self.scripts = scripts
        self.redis = scripts.redis

    def register(self, agent_id: str, profile: Dict[str, str]) -> None:
        """Add or update an agent (keeps their status); a new agent is first in the round-robin rotation."""
        flat: List[str] = []
        for key, value in profile.items():
            flat += [key, value]
        self.scripts.checked("register", agent_id, *flat)

    def register_all(self, agents: List[Agent]) -> None:
        for agent in agents:
            self.register(agent.id, profile_of(agent))

    def set_status(self, agent_id: str, status: str) -> List[str]:
        """online / away / offline; going offline returns the chats sent back to the queue."""
        if status not in STATUSES:
            raise HandoffError("bad_status")
        return self.scripts.checked("presence", agent_id, status, "")[1:]

    def heartbeat(self, agent_id: str) -> str:
        return self.scripts.checked("presence", agent_id, "heartbeat", "")[0]

    def expire(self, agent_id: str, cutoff: float) -> Optional[List[str]]:
        """Sign the agent off if their last heartbeat is older than cutoff; None if they are alive."""
        result = self.scripts.run("presence", agent_id, "expire", repr(cutoff))
        if result[0] == "alive":
            return None
        if result[0] != "ok":
            raise HandoffError(result[0])
        return result[2:]

    def silent(self, cutoff: float) -> List[str]:
        """Online or away agents whose last heartbeat is older than cutoff."""
        return list(self.redis.zrangebyscore(keys.PRESENCE, "-inf", f"({cutoff}"))

    def get(self, agent_id: str) -> Dict[str, object]:
        """One agent's profile with status, chats and load; {} for an unknown agent."""
        profile: Dict[str, object] = dict(self.redis.hgetall(keys.agent(agent_id)))
        if profile:
            profile["id"] = agent_id
            profile["chats"] = sorted(self.redis.smembers(keys.chats(agent_id)))
            profile["load"] = len(profile["chats"])
            profile.setdefault("status", "offline")
        return profile

    def all(self) -> List[Dict[str, object]]:
        return [self.get(a) for a in sorted(self.redis.zrange(keys.ROTATION, 0, -1))]
