"""What the actions work with: the settings, shop rules, shop data, carrier and live desk of this process.

rasa-sdk owns the action server: it imports every module and makes each Action once, without arguments,
so there is no app to hang resources on. They are made here on first use (never at import time, so
the server starts offline) and kept for the process; tests call reset() after changing the environment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

import redis

from actions.tracking import CarrierClient
from helpdesk.desk import Desk
from shop.config import ShopConfig, load_shop_config
from shop.platforms import open_store
from shop.settings import Settings
from shop.store import ShopStore, StoreAuthError

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    cfg: ShopConfig
    _repository: Optional[ShopStore] = None
    _carrier: Optional[CarrierClient] = None
    _desk: Optional[Desk] = None

    @property
    def repository(self) -> ShopStore:
        """The shop's data on the platform shop.yml store.adapter names."""
        if self._repository is None:
            self._repository = open_store(self.cfg, self.settings, on_auth=self._platform_auth)
        return self._repository

    def _platform_auth(self, refusal: Optional[StoreAuthError]) -> None:
        """The platform refused our credentials (or took them again): the operator alert, raised or cleared.
        The desk is reached only now, so the shop's data never waits on Redis."""
        try:
            self.desk.alerts.shop_platform_watch(self.cfg.store.adapter)(refusal)
        except (redis.RedisError, OSError) as exc:
            log.error("operator alert not stored (Redis unreachable): %s", exc)

    @property
    def carrier(self) -> CarrierClient:
        if self._carrier is None:
            t = self.cfg.tracking
            self._carrier = CarrierClient(self.settings.carrier_url, self.settings.carrier_key, t.timeout_s, t.retries)
        return self._carrier

    @property
    def desk(self) -> Desk:
        """The live handoff queue; connecting is deferred so a Redis outage fails the handoff, not the server."""
        if self._desk is None:
            self._desk = Desk.connect(self.settings, self.cfg)
        return self._desk


_current: Optional[Services] = None


def services() -> Services:
    global _current
    if _current is None:
        settings = Settings.from_env()
        _current = Services(settings, load_shop_config(settings.shop_config))
    return _current


def reset() -> None:
    """Forget this process's connections and settings (tests that change the environment call this)."""
    global _current
    if _current is not None and _current._repository is not None:
        _current._repository.close()
    _current = None
