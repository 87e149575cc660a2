"""A Rasa event broker that tells the helpdesk when a buyer writes (for the reports' conversations, and during a
handoff to start the agent's reply timer), and passes every event on to the shop's own broker, if it has one.

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
import yaml
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from helpdesk.desk import Desk
from helpdesk.queue import HandoffQueue
from helpdesk.redis_conn import connect
from shop.categories import FIVE, category_of
from shop.config import load_shop_config
from shop.settings import ROOT, Settings
from shop.trust import verified_customer

log = logging.getLogger(__name__)


# the categories a conversation is counted under in the reports (the first one its buyer asks about)
REPORTED_CATEGORIES = {*FIVE, "human"}


def session_seconds(domain_file=ROOT / "domain" / "core.yml") -> int:
    """Rasa's session length (session_config.session_expiration_time, minutes): a conversation in the reports
    is one session, so a buyer back after that long starts a new one."""
    config = (yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}).get("session_config") or {}
    return int(float(config.get("session_expiration_time") or 60) * 60)


class HelpdeskEventBroker(EventBroker):
    def __init__(self, queue: HandoffQueue, forward_to: Optional[EventBroker] = None, channel_secret: str = "") -> None:
        self.queue = queue
        self.forward_to = forward_to
        self.channel_secret = channel_secret
        self.session_s = session_seconds()

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
        return cls(desk.queue, forward_to, settings.channel_secret)

    def publish(self, event: Dict[Text, Any]) -> None:
        if self.forward_to is not None:
            self.forward_to.publish(event)
        sender, kind = event.get("sender_id"), event.get("event")
        if not sender or kind not in ("user", "slot"):
            return
        try:
            if kind == "user":
                self.queue.conversation_seen(sender, self.session_s, self._known(event))
                self.queue.buyer_message(sender)
            elif event.get("name") == "verified_orders" and event.get("value"):
                self.queue.conversation_seen(sender, self.session_s, {"order_number": str(event["value"][0])})
        except (redis.RedisError, OSError) as exc:
            # the message itself is safe in the tracker; only the reply timer and the reports are late
            log.error("helpdesk queue unreachable for %s: %s", sender, exc)

    def _known(self, event: Dict[Text, Any]) -> Dict[str, str]:
        """What a buyer's message tells the reports: channel, language, category, the channel-verified buyer."""
        parsed = event.get("parse_data") or {}
        intent = (parsed.get("intent") or {}).get("name") or ""
        category = category_of(intent) if intent else ""
        language = next((e.get("value") for e in parsed.get("entities") or [] if e.get("entity") == "language"), "")
        customer = verified_customer(self.channel_secret, event["sender_id"], event.get("metadata"))
        return {
            "channel": str(event.get("input_channel") or ""),
            "language": str(language or ""),
            "category": category if category in REPORTED_CATEGORIES else "",
            "customer": customer or "",
        }

    def is_ready(self) -> bool:
        return self.forward_to is None or self.forward_to.is_ready()

    async def close(self) -> None:
        if self.forward_to is not None:
            await self.forward_to.close()
