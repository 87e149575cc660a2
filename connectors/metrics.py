"""The channels' metrics, and the channel that serves them on the Rasa server: GET /webhooks/metrics/.

    credentials.yml:  connectors.metrics.MetricsInput:      (Rasa mounts every channel under /webhooks/<name>/)
    curl -H "Authorization: Bearer $RASA_TOKEN" http://127.0.0.1:5005/webhooks/metrics/

What a channel counts lives in this process (prometheus_client's process-wide registry; one Rasa server per
process), so Prometheus scrapes every Rasa process itself, not through a load balancer:
  kefu_channel_refusals_total{channel, reason}  a webhook call or message the channel refused or ignored
  kefu_channel_turn_seconds{channel}             from a buyer message reaching the channel's handler to the bot's
                                                 answer handed back (Rasa's on_new_message returning)
The outboxes are read from Redis at each scrape (helpdesk/metrics.py), the same figures the helpdesk reports.
The bearer token is the Rasa server's own, RASA_TOKEN: whoever may read the metrics of this server may call its
HTTP API already, and production refuses to start without it (shop/settings.py). Without it: 403.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from functools import cached_property
from typing import Any, Awaitable, Callable, Iterator, Optional, Text

import redis
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import Metric
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from helpdesk.metrics import CONTENT_TYPE, outbox_metrics, outboxes
from helpdesk.redis_conn import connect
from shop.settings import Settings

REFUSALS = Counter(
    "kefu_channel_refusals",
    "Webhook calls and messages a channel refused or ignored, by channel and reason",
    ["channel", "reason"],
)
TURNS = Histogram(
    "kefu_channel_turn_seconds",
    "Seconds from a buyer message reaching the channel's handler to the bot's answer handed back, by channel",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60),
)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def refused(channel: str, reason: str) -> None:
    """Count a refusal; reason is a short fixed word (the README lists them), never the caller's text."""
    REFUSALS.labels(channel, reason).inc()


def timed(channel: str, on_new_message: OnNewMessage) -> OnNewMessage:
    """Rasa's message handler, with each turn's duration observed (a turn that fails is observed too)."""
    turns = TURNS.labels(channel)

    async def handle(message: UserMessage) -> Any:
        start = time.perf_counter()
        try:
            return await on_new_message(message)
        finally:
            turns.observe(time.perf_counter() - start)

    return handle


class OutboxCollector:
    """kefu_outbox_pending_messages and kefu_outbox_failed_total, read from Redis at each scrape."""

    def __init__(self, client: Callable[[], redis.Redis]) -> None:
        self.client = client

    def collect(self) -> Iterator[Metric]:
        yield from outbox_metrics(outboxes(self.client()))


class ProcessWide:
    """The process-wide registry (the channels' counters, the process's memory and CPU) inside another one."""

    def collect(self) -> Iterator[Metric]:
        return REGISTRY.collect()


class MetricsInput(InputChannel):
    """A channel that takes no messages: it serves this process's metrics."""

    @classmethod
    def name(cls) -> Text:
        return "metrics"

    def __init__(self, settings: Optional[Settings] = None) -> None:
        self.settings = settings or Settings.from_env()
        self.registry = CollectorRegistry()
        self.registry.register(ProcessWide())
        self.registry.register(OutboxCollector(lambda: self.redis))

    @cached_property
    def redis(self) -> redis.Redis:
        return connect(self.settings.redis_url, self.settings.var_dir)

    def allowed(self, request: Request) -> Optional[response.HTTPResponse]:
        """None if the caller gave this server's token, else the refusal."""
        token = self.settings.rasa_token
        if not token:
            return response.json({"error": "set RASA_TOKEN to read the metrics"}, status=403)
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode()):
            return response.json({"error": "give the server's token: Authorization: Bearer <RASA_TOKEN>"}, 401)
        return None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        bp = Blueprint(f"{self.name()}_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def metrics(request: Request) -> response.HTTPResponse:
            refusal = self.allowed(request)
            if refusal is not None:
                return refusal
            try:
                body = await asyncio.to_thread(generate_latest, self.registry)
            except (redis.RedisError, OSError):
                return response.json({"error": "Redis is unreachable; retry"}, status=503)
            return response.raw(body, content_type=CONTENT_TYPE)

        return bp
