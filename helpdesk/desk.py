"""The live help desk in Redis, in one object: its queue of handoffs, its agents, its timers and its alerts.

desk = Desk.connect(settings, cfg)
desk.queue.enqueue(record); desk.agents.set_status("amy", "online"); desk.timers.due()
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import redis

from helpdesk.agents import Agents
from helpdesk.alerts import OperatorAlerts
from helpdesk.queue import HandoffQueue
from helpdesk.redis_conn import connect
from helpdesk.scripts import LuaScripts
from helpdesk.timers import Timers
from shop.config import ShopConfig
from shop.settings import Settings


@dataclass(frozen=True)
class Desk:
    scripts: LuaScripts
    queue: HandoffQueue
    agents: Agents
    timers: Timers
    alerts: OperatorAlerts

    @classmethod
    def open(cls, client: redis.Redis, cfg: ShopConfig, clock: Callable[[], float] = time.time) -> "Desk":
        return cls.from_scripts(LuaScripts.from_config(client, cfg, clock))

    @classmethod
    def connect(cls, settings: Settings, cfg: ShopConfig) -> "Desk":
        """The desk on the Redis that settings name (REDIS_URL, or the embedded server in var/)."""
        return cls.open(connect(settings.redis_url, settings.var_dir), cfg)

    @classmethod
    def from_scripts(cls, scripts: LuaScripts) -> "Desk":
        agents = Agents(scripts)
        alerts = OperatorAlerts(scripts.redis, scripts.clock, scripts)
        return cls(scripts, HandoffQueue(scripts, agents), agents, Timers(scripts), alerts)

    @property
    def redis(self) -> redis.Redis:
        return self.scripts.redis

    def clock(self) -> float:
        return self.scripts.clock()

    def audit(self) -> list:
        """Every broken invariant of the live state, seen in one atomic look (helpdesk/lua/audit.lua)."""
        return list(self.scripts.run("audit"))
