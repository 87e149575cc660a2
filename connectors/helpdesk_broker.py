"""A Rasa event broker that tells the helpdesk when a buyer writes during a handoff.

Rasa keeps logging (and publishing) the buyer's messages while a conversation is paused; this
broker turns each one into queue.buyer_message, which starts the agent's reply timer. Configure
it in endpoints.yml:

    event_broker:
      type: connectors.helpdesk_broker.HelpdeskEventBroker
      url: redis://...        # optional; REDIS_URL (or the embedded Redis) otherwise
"""

from __future__ import annotations

import logging
from asyncio import AbstractEventLoop
from typing import Any, Dict, Optional, Text

import redis
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from helpdesk.desk import Desk
from helpdesk.queue import HandoffQueue
from helpdesk.redis_conn import connect
from shop.config import load_shop_config
from shop.settings import Settings

log = logging.getLogger(__name__)


class HelpdeskEventBroker(EventBroker):
    def __init__(self, queue: HandoffQueue) -> None:
        self.queue = queue

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: Optional[AbstractEventLoop] = None
    ) -> "HelpdeskEventBroker":
        settings = Settings.from_env()
        url = (broker_config.url if broker_config else None) or settings.redis_url
        desk = Desk.open(connect(url, settings.var_dir), load_shop_config(settings.shop_config))
        return cls(desk.queue)

    def publish(self, event: Dict[Text, Any]) -> None:
        if event.get("event") != "user" or not event.get("sender_id"):
            return
        try:
            self.queue.buyer_message(event["sender_id"])
        except (redis.RedisError, OSError) as exc:
            # the message itself is safe in the tracker; only the reply timer is late
            log.error("helpdesk queue unreachable for %s: %s", event["sender_id"], exc)
