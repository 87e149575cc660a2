"""Alerts for the people who run the desk: shown in every console (GET /queue "alerts", the red banner) and
POSTed to the shop's webhook (helpdesk/alert_webhook.py).

An alert is raised by name and cleared by name when the cause is gone. Only the first raise fires it (raising
it again moves its "last" time and updates its text) and only a clear of an active alert clears it: each
firing and each clearing queues exactly one webhook delivery and tells open consoles to refresh, however many
processes raise at once (helpdesk/lua/alert.lua). The alerts: the shop's platform refusing kefu's credentials
(shop/platforms/), and the shop.yml `alerts.rules` the sweeper evaluates (helpdesk/alert_rules.py).
"""

from __future__ import annotations

import json
import time
from typing import Callable, Dict, List, Optional

import redis

from helpdesk import keys
from helpdesk.scripts import LuaScripts
from shop.store import StoreAuthError

SHOP_PLATFORM_AUTH = "shop_platform_auth"


class OperatorAlerts:
    def __init__(
        self, client: redis.Redis, clock: Callable[[], float] = time.time, scripts: Optional[LuaScripts] = None
    ) -> None:
        self.redis, self.clock = client, clock
        self.scripts = scripts or LuaScripts(client, clock=clock)

    def raise_alert(
        self, name: str, text: str, value: Optional[float] = None, threshold: Optional[float] = None
    ) -> str:
        """ "firing" if this call fired it, "updated" if it was active already."""
        return self.scripts.run("alert", "raise", name, text, _number(value), _number(threshold))[0]

    def clear(self, name: str, text: str = "", value: Optional[float] = None, threshold: Optional[float] = None) -> str:
        """ "cleared" if this call cleared it, "quiet" if it was not active."""
        return self.scripts.run("alert", "clear", name, text, _number(value), _number(threshold))[0]

    def active(self) -> List[Dict[str, object]]:
        raw = self.redis.hgetall(keys.ALERTS)
        return sorted(({"name": k, **json.loads(v)} for k, v in raw.items()), key=lambda a: a["since"])

    def shop_platform_watch(self, adapter: str) -> Callable[[Optional[StoreAuthError]], None]:
        """What the shop store calls when the platform refuses our credentials (with the error) and when it
        accepts them again (None). Redis trouble here never stops a buyer's answer."""

        def watch(refusal: Optional[StoreAuthError]) -> None:
            try:
                if refusal is None:
                    self.clear(SHOP_PLATFORM_AUTH, f"The shop platform ({adapter}) accepts kefu's credentials again.")
                else:
                    text = f"The shop platform ({adapter}) refused kefu's credentials: {refusal}. "
                    self.raise_alert(SHOP_PLATFORM_AUTH, text + "The bot can't read orders or the catalog until fixed.")
            except (redis.RedisError, OSError):
                pass

        return watch


def _number(value: Optional[float]) -> str:
    return "" if value is None else repr(float(value))
