"""What the actions work with: the settings, shop rules, shop data, carrier and live desk of this process.

rasa-sdk owns the action server: it imports every module and makes each Action once, without arguments,
so there is no app to hang resources on. They are made here on first use (never at import time, so
the server starts offline) and kept for the process; tests call reset() after changing the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from actions.tracking import CarrierClient
from helpdesk.desk import Desk
from shop.config import ShopConfig, load_shop_config
from shop.repository import ShopRepository
from shop.settings import Settings


@dataclass
class Services:
    settings: Settings
    cfg: ShopConfig
    _repository: Optional[ShopRepository] = None
    _carrier: Optional[CarrierClient] = None
    _desk: Optional[Desk] = None

    @property
    def repository(self) -> ShopRepository:
        if self._repository is None:
            self._repository = ShopRepository.connect(self.settings.database_url)
        return self._repository

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
