"""The alert webhook: every firing and clearing (helpdesk/lua/alert.lua queues them) POSTed as JSON to shop.yml
alerts.webhook.url, signed with ALERT_WEBHOOK_SECRET, by the sweeper, off the request path.

    POST <url>   Content-Type: application/json
    X-Kefu-Timestamp: <Unix seconds>      X-Kefu-Delivery: <delivery id, the same on every retry>
    X-Kefu-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
    {"alert": "frt", "state": "firing"|"cleared", "text": "...", "value": 17.5, "threshold": 15,
     "since": <when it fired>, "at": <this firing or clearing>, "shop": "<shop.yml shop.name.en>"}

The outbox lives in Redis, so a restart loses nothing: a delivery leaves it only once the receiver answered 2xx,
or after alerts.webhook.tries tries while the receiver is down or answers 5xx (waits of retry_s, doubled each
time), or at once on any other answer (a 4xx will not change by retrying); a dropped one is logged and kept in
the failed list. Deliveries go out in order, one sender at a time (a lease): a crash between the receiver's
2xx and the removal sends that one again, with the same X-Kefu-Delivery, which the receiver may use to drop it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections import Counter
from typing import Callable, Dict, Optional

import redis
import requests

from helpdesk import keys
from helpdesk.lease import lease
from shop.config import AlertWebhook, ShopConfig
from shop.settings import Settings, UnsafeStart

OUTBOX = "alert_webhook"  # its name among the outboxes (helpdesk/metrics.py)
log = logging.getLogger(__name__)

FIELDS = ("alert", "state", "text", "value", "threshold", "since", "at")
KEEP_FAILED = 50
RETRY_STATUSES = {408, 425, 429}  # besides 5xx: the receiver asks us to come back later


def refuse_unsigned_webhook(cfg: ShopConfig, settings: Settings) -> None:
    """Stop the helpdesk before it opens a port if it would POST alerts that no receiver can verify (any mode)."""
    if cfg.alerts.webhook.url and not settings.alert_webhook_secret.strip():
        raise UnsafeStart(f"shop.yml alerts.webhook.url is set ({cfg.alerts.webhook.url}) but ALERT_WEBHOOK_SECRET "
                          'is empty: alerts would go out unsigned (README "Alerts")')  # fmt: skip


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Kefu-Signature of a body sent at timestamp."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body_of(delivery: Dict[str, object], shop: str) -> bytes:
    return json.dumps({**{k: delivery.get(k) for k in FIELDS}, "shop": shop}, ensure_ascii=False).encode("utf-8")


class WebhookSender:
    def __init__(self, client: redis.Redis, hook: AlertWebhook, secret: str, shop: str,
                 clock: Callable[[], float]) -> None:  # fmt: skip
        self.redis, self.hook, self.secret, self.shop, self.clock = client, hook, secret, shop, clock
        self.http = requests.Session()

    def pending(self) -> int:
        return self.redis.llen(keys.ALERT_OUTBOX)

    def send_due(self, limit: int = 10) -> Counter:
        """Send what is due, oldest first, until one is to be retried later. Returns the counts "webhook_sent",
        "webhook_retry", "webhook_failed" (dropped), "webhook_skipped" (no url: the outbox is emptied unsent)."""
        done: Counter = Counter()
        if not self.redis.exists(keys.ALERT_OUTBOX):
            return done
        ttl_ms = int((self.hook.timeout_s * 2 + 1) * limit * 1000)  # requests' timeout is per connect and read
        with lease(self.redis, "alert_webhook", ttl_ms=ttl_ms) as held:
            if not held:
                return done
            for _ in range(limit):
                head = self.redis.lindex(keys.ALERT_OUTBOX, 0)
                if head is None:
                    break
                raw = self.redis.hget(keys.ALERT_DELIVERIES, head)
                if raw is None:  # its message is gone (a half-done removal): nothing to send
                    self.redis.lrem(keys.ALERT_OUTBOX, 1, head)
                    continue
                delivery = json.loads(raw)
                if not self.hook.url:
                    self._remove(head)
                    done["webhook_skipped"] += 1
                    continue
                if not self.secret:  # the helpdesk refuses to start so; never send unsigned
                    log.error("alert webhook: ALERT_WEBHOOK_SECRET is empty, nothing is sent")
                    break
                if float(delivery.get("due") or 0) > self.clock():
                    break  # backing off; the ones behind it wait, so the receiver sees them in order
                outcome = self._post(head, delivery)
                done[f"webhook_{outcome}"] += 1
                if outcome == "retry":
                    break
        return done

    def _post(self, delivery_id: str, delivery: Dict[str, object]) -> str:
        body = body_of(delivery, self.shop)
        timestamp = str(int(self.clock()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Kefu-Timestamp": timestamp,
            "X-Kefu-Signature": signature(self.secret, timestamp, body),
            "X-Kefu-Delivery": delivery_id,
        }
        try:
            answer = self.http.post(self.hook.url, data=body, headers=headers, timeout=self.hook.timeout_s,
                                    allow_redirects=False)  # fmt: skip
            status: Optional[int] = answer.status_code
            answer.close()
            why = f"HTTP {status}"
        except requests.RequestException as exc:  # refused, reset, timed out
            status, why = None, f"{exc.__class__.__name__}: {exc}"
        if status is not None and 200 <= status < 300:
            self._remove(delivery_id)
            return "sent"
        attempts = int(delivery.get("attempts") or 0) + 1
        retry = status is None or status >= 500 or status in RETRY_STATUSES
        if retry and attempts < self.hook.tries:
            wait = self.hook.retry_s * 2 ** (attempts - 1)
            delivery.update(attempts=attempts, due=self.clock() + wait)
            self.redis.hset(keys.ALERT_DELIVERIES, delivery_id, json.dumps(delivery))
            log.warning("alert webhook: %s %s not delivered (%s), try %d of %d in %.0f s", delivery["alert"],
                        delivery["state"], why, attempts, self.hook.tries, wait)  # fmt: skip
            return "retry"
        log.error("alert webhook: gave up on %s %s after %d tries (%s): %s", delivery["alert"], delivery["state"],
                  attempts, why, delivery["text"])  # fmt: skip
        failed = json.dumps({**delivery, "attempts": attempts, "failed_at": self.clock(), "why": why})
        with self.redis.pipeline() as pipe:  # MULTI: dropped and remembered together
            pipe.lpush(keys.ALERT_FAILED, failed).ltrim(keys.ALERT_FAILED, 0, KEEP_FAILED - 1)
            pipe.hincrby(keys.OUTBOX_FAILED, OUTBOX, 1)  # kefu_outbox_failed_total{outbox="alert_webhook"}
            pipe.lrem(keys.ALERT_OUTBOX, 1, delivery_id).hdel(keys.ALERT_DELIVERIES, delivery_id)
            pipe.execute()
        return "failed"

    def _remove(self, delivery_id: str) -> None:
        with self.redis.pipeline() as pipe:
            pipe.lrem(keys.ALERT_OUTBOX, 1, delivery_id).hdel(keys.ALERT_DELIVERIES, delivery_id)
            pipe.execute()

    def close(self) -> None:
        self.http.close()
