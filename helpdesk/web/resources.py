"""What one helpdesk app works with: made by create_app's server-start listener, kept on app.ctx.hd,
closed when the server stops. Two apps in one process never share any of it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Callable, Optional, TypeVar

from sanic import Request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from helpdesk.desk import Desk
from helpdesk.record.models import open_record
from helpdesk.reports.conversion import shop_orders
from helpdesk.training.inbox import Shown
from helpdesk.web.rasa_client import RasaClient
from helpdesk.web.sweeper import Sweeper
from shop import db
from shop.attachments import FileStore, file_store
from shop.config import ShopConfig
from shop.platforms import open_store
from shop.settings import Settings
from shop.store import ShopStore

T = TypeVar("T")


@dataclass
class Resources:
    settings: Settings
    cfg: ShopConfig
    desk: Desk  # the live state in Redis
    record: sessionmaker  # the helpdesk's SQL record
    shop: ShopStore  # the shop's data (shop.yml store.adapter), for the customer panel and quick replies
    rasa: RasaClient
    sweeper: Sweeper
    files: FileStore  # photos and files in chats (shop/attachments.py), shared with the Rasa server's channels
    shown: Shown = field(default_factory=Shown)  # the trainer's recent inboxes (helpdesk/training/inbox.py)
    tracker: Optional[Engine] = None  # Rasa's SQL tracker store, read by the search of messages (record/search.py)

    @classmethod
    def open(cls, settings: Settings, cfg: ShopConfig) -> "Resources":
        """Connect to everything (blocking: run it off the event loop)."""
        desk = Desk.connect(settings, cfg)
        record = open_record(settings.helpdesk_database_url)
        rasa = RasaClient(settings.rasa_url, settings.rasa_token)
        shop = open_store(cfg, settings, on_auth=desk.alerts.shop_platform_watch(cfg.store.adapter))
        sweeper = Sweeper(desk, record, cfg, rasa, settings.alert_webhook_secret, shop_orders(shop))
        tracker = db.make_engine(settings.tracker_database_url)
        return cls(settings, cfg, desk, record, shop, rasa, sweeper, file_store(settings), tracker=tracker)

    def close(self) -> None:
        self.sweeper.webhook.close()
        db.close(self.record)
        self.shop.close()
        if self.tracker is not None:
            self.tracker.dispose()
        self.desk.redis.close()


def hd(request: Request) -> Resources:
    """The resources of the app that serves this request."""
    return request.app.ctx.hd


async def blocking(fn: Callable[..., T], *args) -> T:
    """Run a Redis or SQL call on a worker thread: the event loop keeps serving everyone else."""
    return await asyncio.to_thread(fn, *args)
