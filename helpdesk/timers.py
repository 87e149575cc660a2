"""What time makes happen to a handoff: the reminder after `remind_after_s` unanswered, and the move to
another agent `reassign_after_s` later. Deadlines live in the sorted set {kefu}:timers; the sweeper
fires the due ones, and a timer fires once however many processes sweep (helpdesk/lua/timer.lua)."""

from __future__ import annotations

from typing import List

from helpdesk import keys
from helpdesk.scripts import LuaScripts


class Timers:
    def __init__(self, scripts: LuaScripts) -> None:
        self.scripts = scripts

    def due(self, limit: int = 200) -> List[str]:
        """Timers whose deadline has passed: "remind|<conversation>" or "reassign|<conversation>"."""
        return list(self.scripts.redis.zrangebyscore(keys.TIMERS, "-inf", self.scripts.clock(), start=0, num=limit))

    def fire(self, member: str) -> list:
        """Fire one due timer: ["reminded"|"reassigned"|"no_one_free", agent], or ["not_due"]/["stale"]
        when another process fired it first or the chat moved on."""
        return self.scripts.run("timer", member)
