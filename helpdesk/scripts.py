"""The Lua scripts behind every change of the live state (helpdesk/lua/), and how they are run.

Each script is helpdesk/lua/common.lua (key names, the clock, the choice of agent) followed by its
own file; Redis runs it atomically, so any number of processes may call it at once. A script
answers with a status first ("ok" or why not); `checked` turns a refusal into a HandoffError whose
code the HTTP API maps to a 4xx.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Callable

import redis

from helpdesk import keys
from shop.config import ShopConfig

LUA = Path(__file__).with_name("lua")
NAMES = ("conversation", "enqueue", "claim", "reply", "buyer_message", "transfer", "resolve", "presence", "timer",
         "rate", "register", "dispatch", "audit", "alert", "alert_figures")  # fmt: skip

# The order of service. Priority dominates the score; within a priority, earlier requests score lower;
# a chat sent back to the queue (its agent left, or it moved to a group) goes ahead of every new one.
PRIORITY_WEIGHT = 10**12
FRONT = 10**14


def queue_score(priority: int, created_at: float, front: bool = False) -> float:
    """A waiting chat's score (lower is served first); the Lua scripts compute the same."""
    return -priority * PRIORITY_WEIGHT + created_at - (FRONT if front else 0)


class HandoffError(Exception):
    """A transition that the live state refuses: code is e.g. not_yours, agent_full."""

    def __init__(self, code: str, owner: str = "") -> None:
        super().__init__(code if not owner else f"{code} (owner: {owner})")
        self.code = code
        self.owner = owner


@functools.lru_cache(maxsize=None)  # files of the code base: read once per process, however many desks
def source(name: str) -> str:
    """The full text of one script: key names, constants, common.lua, then its own file."""
    constants = f"local FRONT = {FRONT}\n"
    return keys.lua_names() + constants + (LUA / "common.lua").read_text() + (LUA / f"{name}.lua").read_text()


class LuaScripts:
    """The scripts registered on one Redis, with the arguments every script takes first."""

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
        self._scripts = {name: client.register_script(source(name)) for name in NAMES}

    @classmethod
    def from_config(cls, client: redis.Redis, cfg: ShopConfig, clock: Callable[[], float] = time.time) -> "LuaScripts":
        """Mode and timers from shop.yml."""
        t = cfg.timers
        return cls(client, cfg.helpdesk.assignment, t.remind_after_s, t.reassign_after_s, clock)

    def run(self, script: str, *args) -> list:
        common = [repr(self.clock()), self.remind_after_s, self.reassign_after_s, self.mode]
        return self._scripts[script](keys=[keys.WAITING], args=[*common, *args])

    def checked(self, script: str, *args) -> list:
        """Run; raise HandoffError if the script refused, else return what follows its "ok"."""
        result = self.run(script, *args)
        if result[0] != "ok":
            raise HandoffError(result[0], result[1] if len(result) > 1 else "")
        return result[1:]
