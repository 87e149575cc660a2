"""The action server's connections, made on first use (never at import time)."""

from __future__ import annotations

import functools

from actions.repository import ShopRepository
from actions.settings import settings
from actions.shop_config import shop_config
from actions.tracking import CarrierClient
from helpdesk.queue import HandoffQueue
from helpdesk.redis_conn import connect


@functools.lru_cache(maxsize=None)
def repository() -> ShopRepository:
    return ShopRepository(settings().database_url)


@functools.lru_cache(maxsize=None)
def carrier() -> CarrierClient:
    cfg = shop_config().tracking
    return CarrierClient(settings().carrier_url, settings().carrier_key, cfg.timeout_s, cfg.retries)


@functools.lru_cache(maxsize=None)
def handoff_queue() -> HandoffQueue:
    return HandoffQueue.from_config(connect(settings().redis_url), shop_config())


def reset() -> None:
    """Forget every connection (tests that change the environment call this)."""
    for fn in (repository, carrier, handoff_queue, settings, shop_config):
        fn.cache_clear()
