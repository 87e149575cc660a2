"""Alerts for the people who run the desk: something only an operator can fix, shown in every console.

An alert is raised by name (raising it again only moves its "last" time) and cleared by name when the
cause is gone. Today's one: the shop's platform refusing kefu's credentials (shop/platforms/).
"""

from __future__ import annotations

import json
import time
from typing import Callable, Dict, List, Optional

import redis

from helpdesk import keys
from shop.store import StoreAuthError

SHOP_PLATFORM_AUTH = "shop_platform_auth"


class OperatorAlerts:
    def __init__(self, client: redis.Redis, clock: Callable[[], float] = time.time) -> None:
        self.redis, self.clock = client, clock

    def raise_alert(self, name: str, text: str) -> None:
        now = self.clock()
        old = self.redis.hget(keys.ALERTS, name)
        since = json.loads(old)["since"] if old else now
        self.redis.hset(keys.ALERTS, name, json.dumps({"text": text, "since": since, "last": now}))

    def clear(self, name: str) -> None:
        self.redis.hdel(keys.ALERTS, name)

    def active(self) -> List[Dict[str, object]]:
        raw = self.redis.hgetall(keys.ALERTS)
        return sorted(({"name": k, **json.loads(v)} for k, v in raw.items()), key=lambda a: a["since"])

    def shop_platform_watch(self, adapter: str) -> Callable[[Optional[StoreAuthError]], None]:
        """What the shop store calls when the platform refuses our credentials (with the error) and when it
        accepts them again (None). Redis trouble here never stops a buyer's answer."""

        def watch(refusal: Optional[StoreAuthError]) -> None:
            try:
                if refusal is None:
                    self.clear(SHOP_PLATFORM_AUTH)
                else:
                    text = f"The shop platform ({adapter}) refused kefu's credentials: {refusal}. "
                    self.raise_alert(SHOP_PLATFORM_AUTH, text + "The bot can't read orders or the catalog until fixed.")
            except (redis.RedisError, OSError):
                pass

        return watch
