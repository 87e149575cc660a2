"""A Rasa event broker that tells the helpdesk when a buyer writes during a handoff, and passes every
event on to the shop's own broker, if it has one.

Rasa keeps logging (and publishing) the buyer's messages while a conversation is paused; this
broker turns each one into queue.buyer_message, which starts the agent's reply timer. Rasa has one
event-broker slot, so a shop that also streams events (RabbitMQ, Kafka, SQL) names its broker under
`forward_to`, in Rasa's own format:

    event_broker:
      type: connectors.helpdesk_broker.HelpdeskEventBroker
      url: redis://...        # optional; REDIS_URL (or the embedded Redis) otherwise
      forward_to:             # optional; any Rasa event broker
        type: pika
        url: 127.0.0.1
        username: guest
        password: guest
        queues: [kefu_events]
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
    def __init__(self, queue: HandoffQueue, forward_to: Optional[EventBroker] = None) -> None:
        self.queue = queue
        self.forward_to = forward_to

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: Optional[AbstractEventLoop] = None
    ) -> "HelpdeskEventBroker":
        settings = Settings.from_env()
        url = (broker_config.url if broker_config else None) or settings.redis_url
        desk = Desk.open(connect(url, settings.var_dir), load_shop_config(settings.shop_config))
        inner = (broker_config.kwargs if broker_config else {}).get("forward_to")
        forward_to = None
        if inner:
            forward_to = await EventBroker.create(EndpointConfig.from_dict(inner), event_loop)
            if forward_to is None:  # Rasa logs why; a shop that asked for its events must not lose them quietly
                raise ValueError(f"event_broker.forward_to could not be created: {inner.get('type')!r}")
        return cls(desk.queue, forward_to)

    def publish(self, event: Dict[Text, Any]) -> None:
        if self.forward_to is not None:
            self.forward_to.publish(event)
        if event.get("event") != "user" or not event.get("sender_id"):
            return
        try:
            self.queue.buyer_message(event["sender_id"])
        except (redis.RedisError, OSError) as exc:
            # the message itself is safe in the tracker; only the reply timer is late
            log.error("helpdesk queue unreachable for %s: %s", event["sender_id"], exc)

    def is_ready(self) -> bool:
        return self.forward_to is None or self.forward_to.is_ready()

    async def close(self) -> None:
        if self.forward_to is not None:
            await self.forward_to.close()
