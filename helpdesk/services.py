"""The helpdesk's connections, made on first use, from the environment (actions/settings.py)."""

from __future__ import annotations

import functools

from sqlalchemy.orm import sessionmaker

from actions.repository import ShopRepository
from actions.settings import settings
from actions.shop_config import ShopConfig, shop_config
from actions.shopdb import make_engine
from helpdesk.queue import HandoffQueue
from helpdesk.rasa_client import RasaClient
from helpdesk.redis_conn import connect
from helpdesk.store import Base


@functools.lru_cache(maxsize=None)
def queue() -> HandoffQueue:
    return HandoffQueue.from_config(connect(settings().redis_url), shop_config())


@functools.lru_cache(maxsize=None)
def sessions() -> sessionmaker:
    engine = make_engine(settings().helpdesk_database_url)
    Base.metadata.create_all(engine)
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


@functools.lru_cache(maxsize=None)
def repository() -> ShopRepository:
    return ShopRepository(settings().database_url)


@functools.lru_cache(maxsize=None)
def rasa() -> RasaClient:
    return RasaClient(settings().rasa_url, settings().rasa_token)


def cfg() -> ShopConfig:
    return shop_config()


def reset() -> None:
    for fn in (queue, sessions, repository, rasa, settings, shop_config):
        fn.cache_clear()
