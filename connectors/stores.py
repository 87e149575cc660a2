"""Where the Rasa server keeps conversations and turn locks, named by kefu's own URLs.

    tracker_store:
      type: connectors.stores.KefuTrackerStore   # Rasa's SQL store at TRACKER_DATABASE_URL
    lock_store:
      type: connectors.stores.KefuLockStore      # Rasa's Redis lock store at REDIS_URL

Both are Rasa's own stores; they only read the URL from the environment (shop/settings.py) like every
other kefu process, and survive a restart of their server. With them any number of Rasa processes can
serve the same conversations: the lock keeps one turn of a conversation at a time.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

import redis
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from helpdesk import keys
from shop.settings import Settings

log = logging.getLogger(__name__)


class KefuTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store at TRACKER_DATABASE_URL (a SQLite file under var/ by default)."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        url = host or Settings.from_env().tracker_database_url
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
        # Rasa's engine keeps pooled connections that a database restart leaves dead; pre-ping
        # replaces them before use, so the first turn after the restart is not lost.
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        log.info("conversations are kept in %s", self.engine.url.render_as_string(hide_password=True))


class KefuLockStore(RedisLockStore):
    """Rasa's Redis lock store on REDIS_URL (or the `url` in endpoints.yml)."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None) -> None:
        config = endpoint_config.kwargs if endpoint_config else {}
        url = (endpoint_config.url if endpoint_config else None) or Settings.from_env().redis_url
        if not url:
            raise ValueError("the Redis lock store needs REDIS_URL (the demo's stack sets it)")
        super().__init__(key_prefix=None, socket_timeout=float(config.get("socket_timeout", 10)))
        self.red = redis.StrictRedis.from_url(url, socket_timeout=float(config.get("socket_timeout", 10)))
        self.key_prefix = keys.RASA_LOCK_PREFIX
